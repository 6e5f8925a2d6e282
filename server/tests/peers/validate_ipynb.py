"""Checks .ipynb files with Jupyter's own validator (nbformat), independently of wirebook.

Usage: validate_ipynb.py FILE...
Prints one line per file; exits 1 if any file is not strict JSON, not nbformat 4.5, fails
nbformat's schema validation, or repeats a cell id. The files are read as plain JSON and
validated as they are, without nbformat's read-time upgrades and repairs.
"""

import json
import sys

import nbformat
from nbformat.validator import ValidationError


def problem(path):
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError) as error:
        return f"not readable as JSON: {error}"
    if (data.get("nbformat"), data.get("nbformat_minor")) != (4, 5):
        return f"nbformat {data.get('nbformat')}.{data.get('nbformat_minor')}, expected 4.5"
    try:
        nbformat.validate(nbformat.from_dict(data))
    except ValidationError as error:
        return f"invalid: {error.message}"
    ids = [cell.get("id") for cell in data.get("cells", [])]
    if len(ids) != len(set(ids)):
        return f"repeated cell ids: {ids}"
    return None


def main():
    failed = 0
    for path in sys.argv[1:]:
        found = problem(path)
        if found is None:
            print(f"{path}: valid")
        else:
            failed += 1
            print(f"{path}: {found}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
