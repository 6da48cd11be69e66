"""Validate minica's --json output against docs/schema/NAME.json.

validate_json.py SCHEMA_DIR --examples
    every schema is a valid draft 2020-12 schema, every schema but defs.json
    has NAME.example.json beside it, and every example validates.
validate_json.py SCHEMA_DIR NAME FILE [NAME FILE]...
    FILE (one JSON document) validates against NAME.json.

Schemas refer to each other by relative file name (defs.json#/$defs/...);
they are all loaded first, so nothing is fetched from anywhere.
Exit 1 and one line per problem on stderr when anything fails.
"""
import json
import os
import pathlib
import sys

import jsonschema

Validator = jsonschema.Draft202012Validator


def load_all(schema_dir):
    schemas = {}
    for path in sorted(pathlib.Path(schema_dir).glob('*.json')):
        if path.name.endswith('.example.json'):
            continue
        with open(path, encoding='utf-8') as f:
            schemas[path.stem] = (path.resolve().as_uri(), json.load(f))
    return schemas


def problems_of(schemas, name, document):
    if name not in schemas:
        return ['no schema docs/schema/%s.json' % name]
    uri, schema = schemas[name]
    resolver = jsonschema.RefResolver(uri, schema, store={u: s for u, s in schemas.values()})
    validator = Validator(schema, resolver=resolver)
    errors = sorted(validator.iter_errors(document), key=lambda e: -len(e.absolute_path))[:5]
    return ['%s: %s at /%s' % (name, e.message[:300], '/'.join(str(p) for p in e.absolute_path)) for e in errors]


def main(argv):
    schema_dir = argv[1]
    schemas = load_all(schema_dir)
    problems = []
    if argv[2:] == ['--examples']:
        for name, (uri, schema) in schemas.items():
            try:
                Validator.check_schema(schema)
            except jsonschema.exceptions.SchemaError as e:
                problems.append('%s.json is not a valid schema: %s' % (name, e.message))
                continue
            if name == 'defs':
                continue
            example = os.path.join(schema_dir, name + '.example.json')
            if not os.path.exists(example):
                problems.append('%s.json has no example %s.example.json' % (name, name))
                continue
            with open(example, encoding='utf-8') as f:
                problems += ['example ' + p for p in problems_of(schemas, name, json.load(f))]
        for path in pathlib.Path(schema_dir).glob('*.example.json'):
            if path.name[:-len('.example.json')] not in schemas:
                problems.append('%s has no schema' % path.name)
    else:
        pairs = argv[2:]
        for name, path in zip(pairs[::2], pairs[1::2]):
            with open(path, encoding='utf-8') as f:
                try:
                    document = json.load(f)
                except ValueError as e:
                    problems.append('%s: not JSON (%s)' % (name, e))
                    continue
            problems += problems_of(schemas, name, document)
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
