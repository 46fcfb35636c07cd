#!/usr/bin/env python3
"""Run one pabutools 1.2.3 case with no time limit and print its outcome as JSON.

Usage: bench/.venv-pb/bin/python bench/pb/pabutools_one.py FILE.pb RULE COMPLETION SAT
(RULE greedy|mes|phragmen, COMPLETION none|add1|greedy, SAT cost|cardinality|points|-).
Used for the long MES + Add1 cases that exceed conformance.py's --timeout; compare the printed
"selected" list with `sejahtera pb solve FILE.pb --rule mes --completion add1 --format json`.
"""

import json
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conformance import pabutools_case  # noqa: E402


class _Box:
    def put(self, value):
        self.value = value


def main() -> int:
    path, rule, completion, sat = sys.argv[1:5]
    box = _Box()
    pabutools_case(path, rule, completion, sat, box)
    names, parse_s, rule_s = box.value
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"file": Path(path).name, "rule": rule, "completion": completion, "sat": sat,
                      "selected": names, "parse_s": parse_s, "rule_s": rule_s,
                      "cpu_user_s": ru.ru_utime, "cpu_sys_s": ru.ru_stime}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
