#!/usr/bin/python3
# SPDX-License-Identifier: BSL-1.0
# test/openapi/check_openapi.py - checks docs/openapi.json, and real answers of the admin listener against it.
#
#   check_openapi.py DOCUMENT [ANSWERS_DIR]
#
# The document: valid against the OpenAPI 3.1 schema (oas-3.1-schema.json beside this file, the
# OpenAPI Initiative's https://spec.openapis.org/oas/3.1/schema/2022-10-07, Apache-2.0: Debian 12
# packages no OpenAPI validator, so its schema is kept here and checked with python3-jsonschema),
# every schema in it a valid JSON Schema 2020-12, every $ref resolvable, every path parameter declared.
#
# ANSWERS_DIR holds one JSON file per answer a running receiver gave (test/integration/admin_api.cpp
# writes them): {"route": "/v1/fleets/{key}", "target": "...", "status": 200, "content_type": "...",
# "body": "..."}. Each answer's route and status must be in the document and its body valid against
# the schema of that response; every route and every status the document lists must have been seen;
# and the schemas must be strict: renaming any field of a JSON answer, or adding one, must fail.
# Exits 0 when all holds, else 1 naming each problem.
import copy
import json
import os
import re
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator, RefResolver
except ImportError:
    print("python3-jsonschema is missing (scripts/setup installs it)", file=sys.stderr)
    sys.exit(1)

problems = []


def problem(text):
    problems.append(text)


def pointer(doc, ref):
    if not ref.startswith("#/"):
        raise KeyError(ref)
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, path + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + "/" + str(i))


def check_document(doc):
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "oas-3.1-schema.json")) as f:
        oas = json.load(f)
    for e in Draft202012Validator(oas).iter_errors(doc):
        problem("document: not OpenAPI 3.1 at /" + "/".join(map(str, e.absolute_path)) + ": " + e.message)
    for path, node in walk(doc):
        if "$ref" in node:
            try:
                pointer(doc, node["$ref"])
            except (KeyError, IndexError, TypeError):
                problem("document: " + path + " refers to " + node["$ref"] + ", which is not there")
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        try:
            Draft202012Validator.check_schema(schema)
        except jsonschema.exceptions.SchemaError as e:
            problem("document: schema " + name + " is not JSON Schema 2020-12: " + e.message)
    for route, item in doc.get("paths", {}).items():
        templated = set(re.findall(r"{([^}]+)}", route))
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
            if declared != templated:
                problem("document: " + method.upper() + " " + route + " declares path parameters " +
                        str(sorted(declared)) + ", its path has " + str(sorted(templated)))


def response_schema(doc, route, status, content_type):
    item = doc["paths"].get(route)
    if item is None or "get" not in item:
        return None, "no GET " + route + " in the document"
    response = item["get"]["responses"].get(str(status))
    if response is None:
        return None, "GET " + route + " has no response " + str(status)
    if "$ref" in response:
        response = pointer(doc, response["$ref"])
    media = content_type.split(";")[0].strip()
    content = response.get("content", {})
    if media not in content:
        return None, "GET " + route + " " + str(status) + " is not described as " + media
    return content[media].get("schema", {}), None


def errors_of(doc, schema, value):
    v = Draft202012Validator(schema, resolver=RefResolver.from_schema(doc), format_checker=jsonschema.FormatChecker())
    return list(v.iter_errors(value))


def check_answers(doc, directory):
    seen = set()
    files = sorted(f for f in os.listdir(directory) if f.endswith(".json"))
    if not files:
        problem("answers: none in " + directory)
    for name in files:
        with open(os.path.join(directory, name)) as f:
            a = json.load(f)
        what = name + " (GET " + a["target"] + " -> " + str(a["status"]) + ")"
        schema, why = response_schema(doc, a["route"], a["status"], a["content_type"])
        if why:
            problem(what + ": " + why)
            continue
        seen.add((a["route"], str(a["status"])))
        if not a["content_type"].startswith("application/json"):
            continue
        try:
            body = json.loads(a["body"])
        except ValueError as e:
            problem(what + ": the body is not JSON: " + str(e))
            continue
        for e in errors_of(doc, schema, body):
            problem(what + ": at /" + "/".join(map(str, e.absolute_path)) + ": " + e.message)
        if a["status"] != 200 and (not isinstance(body, dict) or body.get("status") != a["status"]):
            problem(what + ": an error whose body does not repeat its status")
        # Strict enough to notice a renamed or an extra field, wherever the shape is fixed.
        if isinstance(body, dict) and a["route"] != "/v1/openapi.json":
            for key in body:
                renamed = {(k + "_renamed" if k == key else k): v for k, v in body.items()}
                if not errors_of(doc, schema, renamed):
                    problem(what + ": the schema still accepts the answer with " + key + " renamed")
            extra = copy.deepcopy(body)
            extra["unexpected_field"] = 1
            if not errors_of(doc, schema, extra):
                problem(what + ": the schema accepts a field it does not describe")
    for route, item in doc["paths"].items():
        for status in item["get"]["responses"]:
            if (route, status) not in seen:
                problem("answers: none for GET " + route + " -> " + status + " (every documented answer is checked)")
    return len(files)


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__ or "usage: check_openapi.py DOCUMENT [ANSWERS_DIR]", file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    check_document(doc)
    n = check_answers(doc, sys.argv[2]) if len(sys.argv) == 3 and not problems else 0
    for p in problems:
        print("openapi: " + p, file=sys.stderr)
    if problems:
        return 1
    print("openapi: " + sys.argv[1] + " is valid OpenAPI 3.1" + (", and " + str(n) + " answers match it" if n else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
