"""Member identity, shared by every door: proving who a member is and binding their accounts.

Owns one-time SMS codes (otp) and the failure counters behind them (throttle), binding a
WeChat openid to a member (binding, binding_links, binding_qr), and what a member's browser
session has proved (member_session). May import campaign, evidence, roster, notify (to queue
a code) and the base layer; never bot or inbound. Nothing here commits.
"""
