#!/usr/bin/env python3
# check-gir.py GIR HEADER... — the API hygiene of the public headers, read
# from the introspection data: every symbol says since which version it
# exists (a "Since:" line), every readable property has a getter, and every
# function whose result the caller owns is declared
# G_GNUC_WARN_UNUSED_RESULT.

import re
import sys
import xml.etree.ElementTree as ET

C = "{http://www.gtk.org/introspection/core/1.0}"
CI = "{http://www.gtk.org/introspection/c/1.0}"
G = "{http://www.gtk.org/introspection/glib/1.0}"
TOP = ("class", "record", "enumeration", "bitfield", "function", "constant",
       "callback", "interface", "glib:boxed")
MEMBERS = ("method", "constructor", "function", "property", "glib:signal",
           "virtual-method")


def tag(el):
    return el.tag.replace(C, "").replace(G, "glib:")


def main(gir, headers):
    namespace = ET.parse(gir).getroot().find(C + "namespace")
    text = "".join(open(h, encoding="utf-8").read() for h in headers)
    problems = []

    for el in namespace:
        name = el.get("name")
        if tag(el) in TOP and not el.get(G + "is-gtype-struct-for"):
            if el.get("version") is None:
                problems.append(f"{tag(el)} {name}: no Since:")
        for sub in el:
            if tag(sub) in MEMBERS and sub.get("version") is None:
                problems.append(f"{tag(sub)} {name}.{sub.get('name')}: no Since:")
        if tag(el) == "class":
            for prop in el.findall(C + "property"):
                if prop.get("readable", "1") != "0" and not prop.get("getter"):
                    problems.append(f"property {name}:{prop.get('name')}: no getter")

    for fn in namespace.iter():
        if tag(fn) not in ("method", "constructor", "function"):
            continue
        ret = fn.find(C + "return-value")
        if ret is None or ret.get("transfer-ownership") not in ("full", "container"):
            continue
        symbol = fn.get(CI + "identifier")
        match = re.search(r"\b%s\s*\(([^;]*);" % re.escape(symbol), text)
        if match is None:
            problems.append(f"{symbol}: not declared in the headers")
        elif "G_GNUC_WARN_UNUSED_RESULT" not in match.group(1):
            problems.append(f"{symbol}: the caller owns the result, but it is not "
                            "G_GNUC_WARN_UNUSED_RESULT")

    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
