"""Reading the security log's lines in tests: `key=value`, quoted values are JSON strings."""

import json
import logging
import re

FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def parse(line):
    assert "\n" not in line
    return {k: json.loads(v) if v.startswith('"') else v for k, v in FIELD.findall(line)}


def events(lines, name):
    return [parse(line) for line in lines if f"event={name} " in line]


class Capture(logging.Handler):
    """Keeps each line as the security log's own handler formats it."""

    def __init__(self, formatter):
        super().__init__()
        self.setFormatter(formatter)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))
