"""Makes the calls a JSON plan on stdin lists through the published metamist client, each as a named user
(its token), and prints what each answered as JSON: ``{"status": 200, "result": ...}``, or the refusal's
``{"status": 404, "body": ...}``.

A call: ``{"as": "owner", "api": "SampleApi", "method": "merge_samples", "kwargs": {...}, "raw": false}``.
In ``kwargs``, ``{"$model": "ExportType", "value": "tsv"}`` (or ``"args": {...}``) builds a client model
and ``{"$file": {"name": "f.tsv", "text": "..."}}`` an upload. ``raw`` keeps the body undecoded (the
Parquet exports, which the client does not deserialise), answered in base64 with its headers.

Run with SM_ENVIRONMENT=genolog and SM_URL set (read when metamist is imported), and the tokens in
GENOLOG_TOKENS (a JSON object, user -> token).
"""

import base64
import io
import json
import os
import sys
from typing import Any

import metamist.apis
import metamist.models
from metamist.api_client import ApiClient
from metamist.configuration import Configuration
from metamist.exceptions import ApiException

tokens = json.loads(os.environ["GENOLOG_TOKENS"])
clients = {user: ApiClient(Configuration(access_token=token)) for user, token in tokens.items()}


def built(value: Any) -> Any:
    if isinstance(value, dict) and "$model" in value:
        model = getattr(metamist.models, value["$model"])
        return model(value["value"]) if "value" in value else model(**built(value.get("args", {})))
    if isinstance(value, dict) and "$file" in value:
        upload = io.BytesIO(value["$file"]["text"].encode())
        upload.name = value["$file"]["name"]
        return upload
    if isinstance(value, dict):
        return {k: built(v) for k, v in value.items()}
    if isinstance(value, list):
        return [built(v) for v in value]
    return value


def plain(value: Any) -> Any:
    """A client answer as JSON: models as dicts."""
    if hasattr(value, "to_dict"):
        return plain(value.to_dict())
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


answers = []
for call in json.load(sys.stdin):
    api = getattr(metamist.apis, call["api"])(clients[call["as"]])
    kwargs = built(call.get("kwargs", {}))
    try:
        if call.get("raw"):
            response = getattr(api, call["method"])(**kwargs, _preload_content=False)
            answers.append(
                {
                    "status": response.status,
                    "headers": dict(response.headers),
                    "data": base64.b64encode(response.data).decode(),
                }
            )
        else:
            answers.append({"status": 200, "result": plain(getattr(api, call["method"])(**kwargs))})
    except ApiException as error:
        body = error.body.decode() if isinstance(error.body, bytes) else error.body
        answers.append({"status": error.status, "body": json.loads(body) if body else None})
print(json.dumps(answers))
