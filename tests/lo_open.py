"""Open a workbook in LibreOffice (optionally with its password) and save its first sheet as CSV.

Run with Debian's /usr/bin/python3 (python3-uno), not the project's venv:
    python3 tests/lo_open.py IN.xlsx OUT.csv [PASSWORD]
Exits non-zero when LibreOffice cannot open the file.
"""

import os
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main(src, out, password=None):
    profile = tempfile.mkdtemp(prefix="lo-profile-")
    pipe = f"mc{os.getpid()}"
    office = subprocess.Popen([
        "soffice", "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
        f"-env:UserInstallation=file://{profile}", f"--accept=pipe,name={pipe};urp;",
    ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        resolver = uno.getComponentContext().ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", uno.getComponentContext())
        for _ in range(120):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.5)
        else:
            sys.exit("LibreOffice did not start")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        args = [prop("Hidden", True)]
        if password:
            args.append(prop("Password", password))
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(src)),
                                           "_blank", 0, tuple(args))
        if doc is None:
            sys.exit("LibreOffice could not open the file")
        # 44 = comma, 34 = quote, 76 = UTF-8
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(out)), (
            prop("FilterName", "Text - txt - csv (StarCalc)"), prop("FilterOptions", "44,34,76")))
        doc.close(True)
    finally:
        office.terminate()
        try:
            office.wait(20)
        except subprocess.TimeoutExpired:
            office.kill()


if __name__ == "__main__":
    main(*sys.argv[1:4])
