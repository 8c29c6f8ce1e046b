"""Bad specs: every problem is reported with file, line, column, key path and what was expected,
all problems of a file at once, never with a traceback, and nothing is written."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from generator import pipeline
from generator.errors import SpecErrors
from tests.conftest import ROOT, tree_digest

BASE = """\
spec_version: 1
api:
  name: tiny
  title: Tiny API
  client_class: TinyClient
settings:
  token: {type: str}
server:
  url: "https://example.invalid/{token}"
protocol:
  encoding: form
  decoding: json
operations:
  GetThing:
    params:
      thingId: {type: int, required: true}
"""

# A page-walking GetThing: PAGEKEYS is where each case writes its paginate keys.
PAGED = BASE.replace(
    "  GetThing:\n",
    "  GetThing:\n    returns: Page\n"
    "    paginate: {style: cursor, items: data, param: cursor, PAGEKEYS}\n",
).replace("      thingId: {type: int, required: true}", "      cursor: {type: str}") + (
    "models:\n  Meta:\n    fields:\n      next: {type: str}\n  Page:\n    fields:\n"
    '      data: {type: "list[int]"}\n      meta: {type: Meta}\n      more: {type: str}\n'
)

# (case id, spec text, expected "line:column: key.path: message" lines)
CASES = [
    (
        "yaml_syntax",
        BASE.replace("  title: Tiny API", "  title: [Tiny"),
        [
            "5:15: <document>: invalid YAML: while parsing a flow sequence expected ',' or ']', but got "
            "':'"
        ],
    ),
    (
        "yaml_tab_indent",
        BASE.replace("  title: Tiny API", "\ttitle: Tiny API"),
        [
            "4:1: <document>: invalid YAML: while scanning for the next token found character '\\t' "
            "that cannot start any token"
        ],
    ),
    ("empty_document", "# nothing here\n", ["1:1: <document>: the spec is empty"]),
    (
        "top_level_list",
        "- a\n- b\n",
        ["1:1: <document>: the spec must be a mapping at the top level"],
    ),
    (
        "duplicate_yaml_key",
        BASE + "  GetThing:\n    method: GET\n",
        ["17:3: operations.GetThing: duplicate key 'GetThing'"],
    ),
    (
        "unknown_top_level_key",
        BASE + "extras: 1\n",
        [
            "17:1: extras: unknown key 'extras' (expected one of: api, auth, enums, errors, extends, models, "
            "operations, protocol, server, settings, spec_version, transport)"
        ],
    ),
    (
        "missing_required_key",
        BASE.replace("  client_class: TinyClient\n", ""),
        ["2:1: api: missing required key 'client_class'"],
    ),
    (
        "wrong_scalar_type",
        BASE.replace("spec_version: 1", "spec_version: one"),
        ['1:15: spec_version: expected 1, got "one"'],
    ),
    (
        "bad_enum_value",
        BASE.replace("encoding: form", "encoding: yaml"),
        [
            "11:13: protocol.encoding: expected one of 'form', 'query', 'json', 'xml_field', "
            "'xml_body', 'multipart', got \"yaml\""
        ],
    ),
    (
        "bad_type_expression",
        BASE.replace("{type: int, required: true}", '{type: "list[int"}'),
        [
            "16:23: operations.GetThing.params.thingId.type: expected a type: str, int, float, bool, "
            "json, datetime, date, binary, status, an enum or model name, a union A | B, or list[T], "
            'got "list[int"'
        ],
    ),
    (
        "wrong_container_type",
        BASE.replace("  GetThing:\n    params:", "  GetThing:\n    params: []\n    x:").replace(
            "      thingId", "      thingId"
        ),
        [
            "15:13: operations.GetThing.params: expected object, got list ",
            "16:5: operations.GetThing.x: unknown key 'x' (expected one of: auth, decoding, doc, "
            "encoding, "
            "examples, long_running, method, name, paginate, params, path, redirects, returns, "
            "safe, server, stream_items, success_status, vendor_status)",
        ],
    ),
    (
        "bad_class_name",
        BASE.replace("client_class: TinyClient", "client_class: tiny_client"),
        ['5:17: api.client_class: expected a CapWords class name, got "tiny_client"'],
    ),
    (
        "unknown_type_reference",
        BASE.replace("{type: int, required: true}", "{type: Widget}"),
        [
            "16:23: operations.GetThing.params.thingId.type: unknown type 'Widget' (known types: "
            "binary, bool, date, datetime, float, int, json, status, str)"
        ],
    ),
    (
        "unknown_return_model",
        BASE + "    returns: list[Gadget]\n",
        [
            "17:14: operations.GetThing.returns: unknown type 'Gadget' (known types: binary, bool, date, "
            "datetime, float, int, json, status, str)"
        ],
    ),
    (
        "duplicate_python_operation_name",
        BASE + "  get-thing: {}\n",
        ["17:3: operations.get-thing: Python name 'get_thing' is already operation 'GetThing'"],
    ),
    (
        "operation_name_is_keyword",
        BASE + "  Import: {}\n",
        [
            "17:3: operations.Import: 'import' is a Python keyword (derived from the wire name; set "
            "'name')"
        ],
    ),
    (
        "explicit_name_not_identifier",
        BASE + "  Other:\n    name: 2fast\n",
        ['18:11: operations.Other.name: expected a Python identifier, got "2fast"'],
    ),
    (
        "parameter_name_is_keyword",
        BASE + "      from: {type: str}\n",
        [
            "17:7: operations.GetThing.params.from: 'from' is a Python keyword (derived from the wire "
            "name; set 'name')"
        ],
    ),
    (
        "duplicate_parameter_python_name",
        BASE + "      thing_id: {type: str}\n",
        [
            "17:7: operations.GetThing.params.thing_id: Python name 'thing_id' is also used by "
            "parameter 'thingId'"
        ],
    ),
    (
        "undeclared_path_parameter",
        BASE + "    path: /things/{thingId}/{part}\n",
        [
            "16:16: operations.GetThing.params.thingId.in: 'thingId' appears in the path, expected "
            "'in: path'",
            "17:11: operations.GetThing.path: path parameter {part} is not declared in 'params'",
        ],
    ),
    (
        "path_parameter_missing_from_path",
        BASE.replace("{type: int, required: true}", "{type: int, in: path}"),
        [
            "16:32: operations.GetThing.params.thingId.in: 'in: path' but the path '(default)' has no "
            "{thingId}"
        ],
    ),
    (
        "default_of_wrong_type",
        BASE + '      limit: {type: int, default: "ten"}\n',
        ["17:35: operations.GetThing.params.limit.default: default 'ten' is a str, expected int"],
    ),
    (
        "boolean_default_for_int_setting",
        BASE.replace(
            "  token: {type: str}", "  token: {type: str}\n  retries: {type: int, default: true}"
        ),
        ["8:33: settings.retries.default: default True is a boolean, expected int"],
    ),
    (
        "required_with_default",
        BASE + "      limit: {type: int, required: true, default: 3}\n",
        [
            "17:51: operations.GetThing.params.limit.default: a required parameter cannot have a default"
        ],
    ),
    (
        "url_placeholder_without_setting",
        BASE.replace("/{token}", "/{tenant}"),
        ["9:8: server.url: placeholder {tenant} names no setting (settings: token)"],
    ),
    (
        "auth_names_unknown_setting",
        BASE + "auth: {scheme: basic, username: token, password: secret}\n",
        ["17:50: auth.password: 'secret' names no setting"],
    ),
    (
        "reserved_setting_name",
        BASE.replace("  token: {type: str}", "  token: {type: str}\n  session: {type: str}"),
        [
            "8:3: settings.session: setting 'session' is provided by the runtime; choose another name"
        ],
    ),
    (
        "file_parameter_of_a_get",
        BASE.replace("  encoding: form", "  encoding: multipart").replace(
            "  GetThing:\n", "  GetThing:\n    method: GET\n"
        )
        + "      upload: {type: binary, in: file}\n",
        [
            "18:34: operations.GetThing.params.upload.in: 'in: file' needs type 'binary' and "
            "encoding 'multipart' (a GET sends no body)"
        ],
    ),
    (
        "parameter_named_like_the_save_to_option_of_a_file_answer",
        BASE.replace(
            "  GetThing:\n", "  GetThing:\n    decoding: binary_or_xml\n    returns: binary\n"
        )
        + "      save_to: {type: str}\n",
        ["19:7: operations.GetThing.params.save_to: parameter name 'save_to' is reserved"],
    ),
    (
        "long_running_without_a_polling_protocol",
        BASE.replace(
            "  GetThing:\n", "  GetThing:\n    long_running: true\n    decoding: envelope\n"
        ),
        [
            "15:19: operations.GetThing.long_running: 'long_running: true' needs "
            "'protocol.long_running' (how to poll the task)"
        ],
    ),
    (
        "setting_named_like_a_runtime_option",
        BASE.replace("  token: {type: str}", "  token: {type: str}\n  log_level: {type: str}"),
        [
            "8:3: settings.log_level: setting 'log_level' is provided by the runtime; choose "
            "another name"
        ],
    ),
    (
        "setting_hides_a_client_member",
        BASE.replace("  token: {type: str}", "  token: {type: str}\n  close: {type: str}"),
        [
            "8:3: settings.close: setting 'close' would hide the client's own 'close'; choose "
            "another name"
        ],
    ),
    (
        "model_field_named_as_a_keyword",
        BASE + textwrap.dedent("""\
        models:
          Message:
            fields:
              from: {type: str}
        """),
        [
            "20:7: models.Message.fields.from: 'from' is a Python keyword; name the field "
            "'from_' and keep the wire name with 'wire: from'"
        ],
    ),
    (
        "import_name_of_the_standard_library",
        BASE.replace(
            "  client_class: TinyClient", "  client_class: TinyClient\n  import_name: json"
        ),
        [
            "6:16: api.import_name: import name 'json' is taken by the standard library; set "
            "api.import_name to another"
        ],
    ),
    (
        "model_named_as_the_async_client",
        BASE + textwrap.dedent("""\
        models:
          AsyncTinyClient: {fields: {id: {type: int}}}
        """),
        ["18:3: models.AsyncTinyClient: name 'AsyncTinyClient' is already the async client class"],
    ),
    (
        "model_name_clashes_with_error",
        BASE + textwrap.dedent("""\
        models:
          Thing: {fields: {id: {type: int}}}
        errors:
          Thing: {base: vendor, vendor_status: ["7"]}
        """),
        [
            "20:3: errors.Thing: name 'Thing' is already used in models",
        ],
    ),
    (
        "duplicate_model_wire_names",
        BASE + textwrap.dedent("""\
        models:
          Thing:
            fields:
              id: {type: int}
              ident: {type: int, wire: id}
        """),
        ["21:7: models.Thing.fields.ident: wire name 'id' is also used by field 'id'"],
    ),
    (
        "flag_style_on_string",
        BASE + "      verbose: {type: str, style: flag}\n",
        [
            "17:35: operations.GetThing.params.verbose.style: style 'flag' applies only to bool "
            "parameters"
        ],
    ),
    (
        "format_on_a_type_without_formats",
        BASE + '      since: {type: str, format: "%Y"}\n',
        [
            "17:34: operations.GetThing.params.since.format: 'format' applies only to int, float, "
            "bool, datetime and date types"
        ],
    ),
    (
        "scalar_formats_their_types_cannot_write",
        BASE
        + '      month: {type: int, format: "%Y"}\n'
        + '      paid: {type: bool, format: "yes"}\n'
        + '      total: {type: float, format: "%d"}\n',
        [
            "17:34: operations.GetThing.params.month.format: an int format is a width, "
            "zero-padded or not: '%02d' writes 1 as 01; not '%Y'",
            "18:34: operations.GetThing.params.paid.format: a bool format is the wire's true and "
            "false spellings, two different texts separated by '|' (e.g. '1|0', 'Y|N'), not 'yes'",
            "19:36: operations.GetThing.params.total.format: a float format gives the decimals: "
            "'%.2f' writes 2.5 as 2.50; not '%d'",
        ],
    ),
    (
        "client_default_unknown_setting",
        BASE + "      tenant: {type: str, client_default: tenant_id}\n",
        ["17:43: operations.GetThing.params.tenant.client_default: 'tenant_id' names no setting"],
    ),
    (
        "long_running_unknown_operation",
        BASE.replace(
            "  decoding: json",
            "  decoding: json\n  long_running: {status_operation: Poll, cancel_operation: GetThing}",
        ).replace("  GetThing:\n", "  GetThing:\n    long_running: true\n    decoding: envelope\n"),
        ["13:36: protocol.long_running.status_operation: 'Poll' names no operation"],
    ),
    (
        "error_names_unknown_operation",
        BASE + "errors:\n  Gone: {base: not_found, http_status: [404], operations: [Nope]}\n",
        [
            "18:60: errors.Gone.operations[0]: 'Nope' names no operation",
        ],
    ),
    (
        "error_without_condition",
        BASE + "errors:\n  Vague: {base: vendor}\n",
        [
            "18:10: errors.Vague: expected 'http_status' or 'vendor_status' to say when this error is "
            "raised",
        ],
    ),
    (
        "enum_members_collide",
        BASE + "enums:\n  Mode: {values: [fast-lane, fast_lane]}\n",
        [
            "18:30: enums.Mode.values[1]: value 'fast_lane' gives member name FAST_LANE, the same as "
            "'fast-lane'"
        ],
    ),
    (
        "xml_field_without_section",
        BASE.replace("encoding: form", "encoding: xml_field"),
        [
            "10:1: protocol: missing required key 'xml_field' (encoding 'xml_field' needs it to name "
            "the form field)"
        ],
    ),
    (
        "server_url_and_environments",
        BASE.replace(
            'server:\n  url: "https://example.invalid/{token}"',
            'server:\n  url: "https://example.invalid"\n  environments: {prod: "https://x.invalid"}',
        ),
        ["9:3: server: expected exactly one of 'url' or 'environments'"],
    ),
    (
        "example_names_unknown_parameter",
        BASE + "    examples:\n      - {name: basic, params: {thing: 1}}\n",
        [
            "18:31: operations.GetThing.examples[0].params: the required parameter 'thingId' has no "
            "value",
            "18:32: operations.GetThing.examples[0].params.thing: 'thing' is not a parameter of GetThing",
        ],
    ),
    (
        "example_param_of_the_wrong_type",
        BASE + "    examples:\n      - {name: basic, params: {thingId: one}}\n",
        [
            "18:41: operations.GetThing.examples[0].params.thingId: 'thingId': expected int, got "
            "text 'one'"
        ],
    ),
    (
        "example_request_method_and_path",
        BASE + "    examples:\n      - {name: basic, params: {thingId: 1}, request: "
        "{method: GET, path: /Other}}\n",
        [
            "18:63: operations.GetThing.examples[0].request.method: the operation sends POST, the "
            "example's request says GET",
            "18:74: operations.GetThing.examples[0].request.path: the operation's path is "
            "'/GetThing', the example's request says '/Other'",
        ],
    ),
    (
        "example_result_not_a_field",
        BASE.replace(
            "      thingId: {type: int, required: true}\n",
            "      thingId: {type: int, required: true}\n    returns: Thing\n",
        )
        + "    examples:\n      - {name: basic, params: {thingId: 1}, result: {size: 3}}\n"
        "models:\n  Thing: {fields: {id: {type: int}}}\n",
        ["19:53: operations.GetThing.examples[0].result: 'size' is not a field of Thing"],
    ),
    (
        "example_raises_undeclared_and_result",
        BASE + "    examples:\n      - {name: basic, params: {thingId: 1}, result: null, "
        "raises: NopeError}\n",
        [
            "18:67: operations.GetThing.examples[0].raises: 'NopeError' is not an error class of "
            "this spec (declared: AuthenticationError, CallTimeout, DecodeError, Error, HttpError, "
            "LimitExceeded, LocalFileError, NotFoundError, TaskTimeout, TokenError, TransportError, "
            "VendorError)",
            "18:67: operations.GetThing.examples[0].raises: an example has a 'result' or 'raises', "
            "not both",
        ],
    ),
    (
        "error_class_no_example_raises",
        BASE
        + "    examples:\n      - {name: basic, params: {thingId: 1}}\n"
        + "errors:\n  Gone: {base: not_found, http_status: [404]}\n",
        [
            "20:3: errors.Gone: no example shows Gone being raised; add one (an example with "
            "'raises: Gone') so its rule is tested"
        ],
    ),
    (
        "vendor_status_outside_xml",
        BASE.replace("  GetThing:\n", "  GetThing:\n    vendor_status: {failure: ['9']}\n"),
        [
            "15:5: operations.GetThing.vendor_status: 'vendor_status' applies to XML answers, or "
            "JSON answers with 'protocol.json.status_field'; this operation decodes 'json'"
        ],
    ),
    (
        "union_with_binary",
        BASE + "      scan: {type: str | binary}\n",
        ["17:20: operations.GetThing.params.scan.type: 'binary' cannot be one option of a union"],
    ),
    (
        "union_naming_a_type_twice",
        BASE + "      scan: {type: int | str | int}\n",
        ["17:20: operations.GetThing.params.scan.type: 'int | str | int' names a type twice"],
    ),
    (
        "extension_from_not_a_file",
        BASE + "      label: {type: str, extension_from: thingId}\n",
        [
            "17:42: operations.GetThing.params.label.extension_from: 'extension_from' applies to "
            "'in: file' parameters"
        ],
    ),
    (
        "extension_from_names_nothing",
        BASE.replace("encoding: form", "encoding: multipart")
        + "      scan: {type: binary, in: file, extension_from: format}\n",
        [
            "17:54: operations.GetThing.params.scan.extension_from: 'format' names no other "
            "parameter of GetThing"
        ],
    ),
    (
        "repeat_style_not_a_list",
        BASE + "      ids: {type: int, style: repeat}\n",
        [
            "17:31: operations.GetThing.params.ids.style: style 'repeat' applies only to list "
            "parameters"
        ],
    ),
    (
        "xml_style_not_a_model",
        BASE + "      doc: {type: str, style: xml}\n",
        [
            "17:31: operations.GetThing.params.doc.style: style 'xml' applies only to model "
            "parameters"
        ],
    ),
    (
        "model_parameter_as_plain_text",
        BASE
        + "      filter: {type: Thing}\n"
        + "models:\n  Thing:\n    fields:\n      name: {type: str}\n",
        [
            "17:22: operations.GetThing.params.filter.type: a Thing value is not one plain "
            "value: declare style 'json', 'deep' or 'xml'"
        ],
    ),
    (
        "binary_outside_a_file",
        BASE + "      scan: {type: binary}\n",
        [
            "17:20: operations.GetThing.params.scan.type: type 'binary' is a file upload: it "
            "needs 'in: file' (and encoding 'multipart')"
        ],
    ),
    (
        "csv_style_on_one_value",
        BASE + "      name: {type: str, style: csv}\n",
        [
            "17:32: operations.GetThing.params.name.style: style 'csv' applies only to list "
            "parameters"
        ],
    ),
    (
        "plain_style_on_a_list",
        BASE + "      ids: {type: 'list[int]', style: plain}\n",
        [
            "17:39: operations.GetThing.params.ids.style: a list is not one plain value: declare "
            "style 'csv', 'json' or 'repeat'"
        ],
    ),
    (
        "style_in_a_json_body",
        BASE.replace("encoding: form", "encoding: json")
        + "      ids: {type: 'list[int]', style: csv}\n",
        [
            "17:39: operations.GetThing.params.ids.style: a JSON body carries values as they "
            "are: style 'csv' does not apply"
        ],
    ),
    (
        "json_style_in_a_path",
        BASE.replace("  GetThing:\n", "  GetThing:\n    path: /things/{thingId}\n").replace(
            "{type: int, required: true}", "{type: int, in: path, style: json}"
        ),
        [
            "17:45: operations.GetThing.params.thingId.style: style 'json' does not apply to a "
            "path segment (allowed there: csv, plain)"
        ],
    ),
    (
        "flag_in_a_header",
        BASE + "      X-Verbose: {type: bool, in: header, style: flag}\n",
        [
            "17:50: operations.GetThing.params.X-Verbose.style: style 'flag' does not apply to a "
            "header (allowed there: csv, json, plain)"
        ],
    ),
    (
        "nullable_flag",
        BASE + "      verbose: {type: bool, style: flag, nullable: true}\n",
        [
            "17:52: operations.GetThing.params.verbose.nullable: a flag is sent or left out: it "
            "cannot be null"
        ],
    ),
    (
        "get_with_a_form_body",
        BASE.replace("  GetThing:\n", "  GetThing:\n    method: GET\n    encoding: form\n"),
        [
            "16:15: operations.GetThing.encoding: a GET sends no body: encoding 'form' does not "
            "apply (leave it out: a GET's parameters travel in the query)"
        ],
    ),
    (
        "body_parameter_in_query_encoding",
        BASE.replace("encoding: form", "encoding: query") + "      note: {type: str, in: body}\n",
        [
            "17:29: operations.GetThing.params.note.in: encoding 'query' sends every parameter "
            "in the query: 'in: body' does not apply (declare 'in: query')"
        ],
    ),
    (
        "nullable_file",
        BASE.replace("encoding: form", "encoding: multipart")
        + "      scan: {type: binary, in: file, nullable: true}\n",
        [
            "17:48: operations.GetThing.params.scan.nullable: a file is sent or left out: it "
            "cannot be null"
        ],
    ),
    (
        "xml_attribute_in_a_json_model",
        BASE.replace("  GetThing:\n", "  GetThing:\n    returns: Thing\n")
        + "models:\n  Thing:\n    fields:\n      name: {type: str, attribute: true}\n",
        [
            "21:36: models.Thing.fields.name.attribute: 'attribute' applies to XML: model Thing "
            "is only read or sent as JSON"
        ],
    ),
    (
        "nullable_list_in_an_xml_model",
        BASE.replace("decoding: json", "decoding: xml").replace(
            "  GetThing:\n", "  GetThing:\n    returns: Thing\n"
        )
        + "models:\n  Thing:\n    fields:\n      tags: {type: 'list[str]', nullable: true}\n",
        [
            "21:43: models.Thing.fields.tags.nullable: in XML a null is an empty element: "
            "'nullable' applies to single values"
        ],
    ),
    (
        "protocol_section_no_operation_uses",
        BASE.replace("  decoding: json\n", "  decoding: json\n  envelope: {status_field: state}\n"),
        [
            "13:3: protocol.envelope: 'protocol.envelope' applies to operations that decode "
            "'envelope'; none does"
        ],
    ),
    (
        "binary_answer_decoded_as_json",
        BASE.replace("  GetThing:\n", "  GetThing:\n    returns: binary\n"),
        [
            "15:14: operations.GetThing.returns: a binary answer needs decoding 'binary_or_xml' "
            "(the file, or the vendor's XML status); this operation decodes 'json'"
        ],
    ),
    (
        "returns_with_decoding_none",
        BASE.replace("  GetThing:\n", "  GetThing:\n    decoding: none\n    returns: int\n"),
        [
            "16:14: operations.GetThing.returns: decoding 'none' reads no answer (the method "
            "returns None): 'returns' does not apply"
        ],
    ),
    (
        "list_answer_of_an_xml_operation",
        BASE.replace("  GetThing:\n", "  GetThing:\n    decoding: xml\n    returns: 'list[int]'\n"),
        [
            "16:14: operations.GetThing.returns: an XML answer is one document: declare a model "
            "whose list field holds the items (not list[int])"
        ],
    ),
    (
        "xml_body_without_one_model",
        BASE.replace("encoding: form", "encoding: xml_body"),
        [
            "16:7: operations.GetThing.params: encoding 'xml_body' sends one model as the body: "
            "expected exactly one body parameter of a model type, got 1 body parameter(s) (other "
            "parameters need 'in: query', 'in: path' or 'in: header')"
        ],
    ),
    (
        "merge_key_not_a_mapping",
        BASE + "      <<: [3]\n",
        ["17:12: operations.GetThing.params.<<: a merge key needs a mapping or a list of them"],
    ),
    (
        "bearer_without_token",
        BASE.replace("protocol:", "auth: {scheme: bearer}\nprotocol:"),
        ["10:1: auth: missing required key 'token' for scheme 'bearer'"],
    ),
    (
        "bearer_token_not_secret",
        BASE.replace("protocol:", "auth: {scheme: bearer, token: token}\nprotocol:"),
        ["10:31: auth.token: setting 'token' holds a credential: mark it 'secret: true'"],
    ),
    (
        "api_key_without_name",
        BASE.replace("  token: {type: str}", "  token: {type: str, secret: true}").replace(
            "protocol:", "auth: {scheme: api_key, token: token}\nprotocol:"
        ),
        ["10:1: auth: missing required key 'name' (the header or query parameter of the key)"],
    ),
    (
        "auth_key_of_another_scheme",
        BASE.replace("  token: {type: str}", "  token: {type: str, secret: true}").replace(
            "protocol:", "auth: {scheme: bearer, token: token, username: token}\nprotocol:"
        ),
        ["10:38: auth.username: 'username' does not apply to scheme 'bearer'"],
    ),
    (
        "paginate_page_without_param",
        BASE.replace("  GetThing:\n", "  GetThing:\n    paginate: {style: page}\n"),
        ["15:5: operations.GetThing.paginate: missing required key 'param' for style 'page'"],
    ),
    (
        "paginate_cursor_without_cursor",
        BASE.replace(
            "  GetThing:\n", "  GetThing:\n    paginate: {style: cursor, param: thingId}\n"
        ),
        [
            "15:5: operations.GetThing.paginate: style 'cursor' needs exactly one of "
            "'cursor_field' (in the answer) or 'cursor_item_field' (of the last item)"
        ],
    ),
    (
        "paginate_items_not_a_list",
        BASE.replace(
            "  GetThing:\n",
            "  GetThing:\n    returns: Thing\n    paginate: {style: link, items: name}\n",
        )
        + "models:\n  Thing:\n    fields:\n      name: {type: str}\n",
        ["16:36: operations.GetThing.paginate.items: 'name' is not a list field (type str)"],
    ),
    (
        "const_of_the_wrong_type",
        BASE + "      version: {type: int, const: v2}\n",
        ["17:35: operations.GetThing.params.version.const: const 'v2' is a str, expected int"],
    ),
    (
        "const_with_a_default",
        BASE + "      version: {type: str, const: v2, default: v1}\n",
        [
            "17:48: operations.GetThing.params.version.default: a constant parameter takes no 'default'"
        ],
    ),
    (
        "two_text_fields",
        BASE
        + "models:\n  Image:\n    fields:\n      url: {type: str, text: true}\n"
        + "      alt: {type: str, text: true}\n",
        ["21:30: models.Image.fields.alt.text: the element's text is already field 'url'"],
    ),
    (
        "nullable_path_parameter",
        BASE.replace("  GetThing:\n", '  GetThing:\n    path: "/things/{thingId}"\n').replace(
            "      thingId: {type: int, required: true}",
            "      thingId: {type: int, in: path, nullable: true}",
        ),
        ["17:48: operations.GetThing.params.thingId.nullable: a path parameter cannot be null"],
    ),
    (
        "wire_name_with_a_path",
        BASE
        + "models:\n  Artist:\n    fields:\n      listeners: {type: int, wire: stats/listeners}\n",
        [
            "20:36: models.Artist.fields.listeners.wire: wire name 'stats/listeners': a field is one "
            "element, attribute or key of its model; paths are not followed (declare the nested "
            "model)"
        ],
    ),
    (
        "field_keys_that_do_not_apply",
        BASE
        + "models:\n  Row:\n    fields:\n      tags: {type: str, item: tag}\n"
        + "      subject: {type: int, mime_decoded: subject_text}\n"
        + "      stats: {type: json, attribute: true}\n",
        [
            "20:31: models.Row.fields.tags.item: 'item' names the items of a list field",
            "21:42: models.Row.fields.subject.mime_decoded: 'mime_decoded' applies to str fields",
            "22:38: models.Row.fields.stats.attribute: an XML attribute holds text: a scalar, not "
            "json",
        ],
    ),
    (
        "paginate_cursor_field_naming_no_field",
        PAGED.replace("PAGEKEYS", "cursor_field: nxt"),
        [
            "16:73: operations.GetThing.paginate.cursor_field: 'nxt': model Page has no field "
            "with wire name 'nxt'"
        ],
    ),
    (
        "paginate_path_written_with_dots",
        PAGED.replace("PAGEKEYS", "cursor_field: meta.next"),
        [
            "16:73: operations.GetThing.paginate.cursor_field: 'meta.next': model Page has no "
            "field with wire name 'meta.next'; paths are written with '/': 'meta/next'"
        ],
    ),
    (
        "paginate_has_more_not_a_boolean",
        PAGED.replace("PAGEKEYS", "cursor_field: meta/next, has_more: more"),
        [
            "16:94: operations.GetThing.paginate.has_more: 'more' is a str field; has_more reads a bool"
        ],
    ),
    (
        "next_link_without_next_field",
        BASE.replace(
            "  GetThing:\n", "  GetThing:\n    returns: json\n    paginate: {style: next_link}\n"
        ),
        [
            "16:5: operations.GetThing.paginate: style 'next_link' needs 'next_field': where the "
            "answer gives the next page's URL (Twilio: next_page_uri, Spotify: next)"
        ],
    ),
    (
        "json_status_path_with_dots",
        BASE.replace(
            "  decoding: json\n", "  decoding: json\n  json: {message_field: error.message}\n"
        ),
        [
            "13:25: protocol.json.message_field: 'error.message': paths are written with '/' in "
            "every part of a spec (as paginate and stream_items take them): write 'error/message'"
        ],
    ),
    (
        "example_text_that_yaml_reads_as_a_number",
        BASE.replace("thingId: {type: int, required: true}", "thingId: {type: str, required: true}")
        + "    examples:\n      - {name: basic, params: {thingId: 0000123}}\n",
        [
            "18:41: operations.GetThing.examples[0].params.thingId: 'thingId': YAML reads 0000123 "
            "as the int 83, not as text: quote it ('0000123')"
        ],
    ),
    (
        "example_request_disagrees_with_params",
        BASE.replace("  GetThing:\n", '  GetThing:\n    path: "/things/{thingId}"\n').replace(
            "      thingId: {type: int, required: true}",
            "      thingId: {type: int, in: path, required: true}\n"
            "      color: {type: str, in: query}\n      deep: {type: bool}",
        )
        + "    examples:\n      - name: basic\n        params: {thingId: 12, color: red, deep: true}\n"
        + "        request: {path: /things/13, query: {color: blue}, body: {deep: 'True'}}\n",
        [
            "23:25: operations.GetThing.examples[0].request.path: the params give 'thingId' as 12, "
            "so the client sends '12'; the example's request has the path segment '13'",
            "23:52: operations.GetThing.examples[0].request.query.color: the params give 'color' "
            "as 'red', so the client sends 'red'; the example's request has the query value "
            "'blue'",
            "23:72: operations.GetThing.examples[0].request.body.deep: the params give 'deep' as "
            "True, so the client sends 'true'; the example's request has the body value 'True'",
        ],
    ),
    (
        "multipart_example_without_body",
        BASE.replace("  GetThing:\n", "  GetThing:\n    encoding: multipart\n").replace(
            "      thingId: {type: int, required: true}",
            "      thingId: {type: int, required: true}\n      scan: {type: binary, in: file}",
        )
        + "    examples:\n      - {name: basic, params: {thingId: 1, scan: 'PDF'}, "
        + "request: {method: POST}}\n",
        [
            "20:58: operations.GetThing.examples[0].request: a multipart example needs its "
            "request body: the parts it sends, as 'body: {thingId: ...}' (a file part as its "
            "file's text)"
        ],
    ),
    (
        "example_result_null_for_a_list_field",
        BASE.replace("  GetThing:\n", "  GetThing:\n    returns: Thing\n")
        + "    examples:\n      - {name: basic, params: {thingId: 1}, result: {tags: null}}\n"
        + 'models:\n  Thing:\n    fields:\n      tags: {type: "list[str]"}\n',
        [
            "19:53: operations.GetThing.examples[0].result: Thing.tags: null, but the client "
            "gives [] for a list field without a value: write [] (or declare the field "
            "'nullable: true')"
        ],
    ),
    (
        "example_result_null_for_a_required_field",
        BASE.replace("  GetThing:\n", "  GetThing:\n    returns: Thing\n")
        + "    examples:\n      - {name: basic, params: {thingId: 1}, result: {name: null}}\n"
        + "models:\n  Thing:\n    fields:\n      name: {type: str, required: true}\n",
        [
            "19:53: operations.GetThing.examples[0].result: Thing.name: null, but the field is "
            "required and not nullable: the client refuses such an answer (declare it "
            "'nullable: true' if the vendor sends null, or use 'raises')"
        ],
    ),
    (
        "several_errors_reported_together",
        BASE.replace("encoding: form", "encoding: yaml")
        + "      since: {type: str, colour: red}\n",
        [
            "11:13: protocol.encoding: expected one of 'form', 'query', 'json', 'xml_field', "
            "'xml_body', 'multipart', got \"yaml\"",
            "17:26: operations.GetThing.params.since.colour: unknown key 'colour' (expected one of: "
            "client_default, conflicts_with, const, default, doc, example, extension_from, format, in, "
            "name, nullable, required, secret, style, type)",
        ],
    ),
]


def _expected_lines(name: str, lines: list[str]) -> list[str]:
    return [f"tests/bad/{name}.yaml:{line}" for line in lines]


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bad")


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_spec_is_reported_precisely_and_writes_nothing(
    name: str,
    text: str,
    expected: list[str],
    generated_copy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "tests" / "bad"
    folder.mkdir(parents=True)
    spec = folder / f"{name}.yaml"
    spec.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # file names in messages are relative to the working directory
    before = tree_digest(generated_copy)

    with pytest.raises(SpecErrors) as caught:
        pipeline.generate([spec], output_dir=generated_copy)

    reported = [str(e) for e in caught.value.errors]
    assert reported == _expected_lines(name, expected)
    assert tree_digest(generated_copy) == before


def test_the_cases_cover_at_least_25_distinct_problems() -> None:
    assert len({text for _, text, _ in CASES}) >= 25


def test_cli_prints_every_error_without_traceback_and_leaves_generated_untouched(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text(
        BASE.replace("encoding: form", "encoding: yaml") + "      from: {type: str}\n",
        encoding="utf-8",
    )
    before = tree_digest(ROOT / "generated")
    result = subprocess.run(
        [sys.executable, "-m", "generator", "generate", str(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "broken.yaml:11:13: protocol.encoding: expected one of" in result.stderr
    assert "1 error(s); nothing was written." in result.stderr
    assert tree_digest(ROOT / "generated") == before


def test_semantic_errors_of_several_files_are_reported_together(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    second = tmp_path / "b.yaml"
    first.write_text(BASE + "      from: {type: str}\n", encoding="utf-8")
    second.write_text(BASE.replace("{type: int, required: true}", "{type: Nope}"), encoding="utf-8")
    with pytest.raises(SpecErrors) as caught:
        pipeline.load_apis([first, second])
    files = sorted({e.file for e in caught.value.errors})
    assert files == ["a.yaml", "b.yaml"]


def test_two_specs_for_the_same_package_are_refused(tmp_path: Path) -> None:
    first = tmp_path / "one.yaml"
    second = tmp_path / "two.yaml"
    first.write_text(BASE, encoding="utf-8")
    second.write_text(BASE, encoding="utf-8")
    with pytest.raises(SpecErrors) as caught:
        pipeline.load_apis([first, second])
    assert [e.message for e in caught.value.errors] == [
        "package 'tiny' is also generated by one.yaml"
    ]
