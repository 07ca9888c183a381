"""Test support that tests/ and bench/ share: factories, loopback provider fakes, clocks, drills.

Not part of the product: the wheel ships ``service`` only. Tests import it through pytest's
``pythonpath`` setting, bench scripts by putting the checkout on ``sys.path``.
"""
