#!/usr/bin/env python3
"""Validates JSON documents, one per line of standard input, against a JSON Schema.

    validate_json.py SCHEMA [--def NAME] [--ids FILE] < lines

--def NAME validates against the schema's $defs/NAME instead of the whole schema.
--ids FILE also requires every invariant id in the documents (violation ids, failure
ids, trace entries' invariant) to be one of FILE's lines (balloon-repro
--list-invariants). Exit 0 when every line is valid, 1 naming the first that is not,
2 for a bad command line or an unreadable schema.
"""
import json
import sys

import jsonschema


def ids_in(document):
    """Every invariant id the document names."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("id", "invariant") and isinstance(value, str):
                yield value
            else:
                yield from ids_in(value)
    elif isinstance(document, list):
        for value in document:
            yield from ids_in(value)


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    args = argv[2:]
    definition = None
    known_ids = None
    while args:
        if args[0] == "--def" and len(args) > 1:
            definition, args = args[1], args[2:]
        elif args[0] == "--ids" and len(args) > 1:
            with open(args[1], encoding="utf-8") as f:
                known_ids = {line.strip() for line in f if line.strip()}
            args = args[2:]
        else:
            print(f"validate_json.py: unknown argument {args[0]}", file=sys.stderr)
            return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            schema = json.load(f)
    except (OSError, ValueError) as error:
        print(f"validate_json.py: {argv[1]}: {error}", file=sys.stderr)
        return 2
    if definition is not None:
        if definition not in schema.get("$defs", {}):
            print(f"validate_json.py: {argv[1]} has no $defs/{definition}", file=sys.stderr)
            return 2
        schema = {"$schema": schema["$schema"], "$defs": schema["$defs"],
                  "$ref": f"#/$defs/{definition}"}
    validator = jsonschema.Draft202012Validator(schema)
    count = 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        count += 1
        try:
            document = json.loads(line)
        except ValueError as error:
            print(f"line {number}: not JSON: {error}")
            return 1
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        if errors:
            first = errors[0]
            where = "/".join(str(part) for part in first.path)
            print(f"line {number}: at /{where}: {first.message}")
            return 1
        if known_ids is not None:
            for found in ids_in(document):
                if found not in known_ids:
                    print(f"line {number}: '{found}' is not an invariant id of the catalogue")
                    return 1
    if count == 0:
        print("no document to validate")
        return 1
    print(f"{count} documents valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
