"""Print each failed case of schemathesis's JUnit reports, shortly: the operation and its message
(which holds the reproducing curl command)."""

import sys
import xml.etree.ElementTree as ElementTree

for path in sys.argv[1:]:
    for case in ElementTree.parse(path).iter("testcase"):
        for problem in [*case.iter("failure"), *case.iter("error")]:
            text = (problem.get("message") or "") + "\n" + (problem.text or "")
            print(f"--- {path}: {case.get('name')}\n{text.strip()[:3000]}\n")
