#!/usr/bin/env python3
"""A tiny Lambda Invoke-API server for the walk-through (Python standard library only).

It answers `POST /2015-03-31/functions/{FunctionName}/invocations` as Lambda does, running the two
functions below in-process. It does not check signatures: for real functions use
`sam local start-lambda` (port 3001), LocalStack, or `--aws-endpoint lambda=aws`.

    python3 examples/lambda-authorizer/functions.py 3001
"""

import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def hello(event):
    """An `aws_proxy` function: greets the caller the authorizer let in."""
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    authorizer = event["requestContext"].get("authorizer") or {}
    body = {
        "message": f"hello, {name}",
        "principal": authorizer.get("principalId"),
        "plan": authorizer.get("plan"),
    }
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body)}


class Unauthorized(Exception):
    """Raising an error whose message is `Unauthorized` makes API Gateway answer 401."""


def token_authorizer(event):
    """A TOKEN authorizer: `allow-NAME` is allowed as NAME, `deny` is denied, anything else 401."""
    token = event.get("authorizationToken", "")
    if token.startswith("allow-"):
        effect, principal = "Allow", token[len("allow-"):]
    elif token == "deny":
        effect, principal = "Deny", "denied-user"
    else:
        raise Unauthorized("Unauthorized")
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect,
                           "Resource": event["methodArn"]}],
        },
        "context": {"plan": "gold"},
    }


FUNCTIONS = {"hello": hello, "token-authorizer": token_authorizer}


class Invoke(BaseHTTPRequestHandler):
    def do_POST(self):
        prefix, suffix = "/2015-03-31/functions/", "/invocations"
        path = self.path.split("?", 1)[0]
        if not (path.startswith(prefix) and path.endswith(suffix)):
            return self.answer(404, {"message": "Unknown operation"})
        name = urllib.parse.unquote(path[len(prefix):-len(suffix)])
        name = name.split(":function:")[-1].split(":")[0]
        function = FUNCTIONS.get(name)
        if function is None:
            return self.answer(404, {"Type": "User", "message": f"Function not found: {name}"})
        length = int(self.headers.get("Content-Length") or 0)
        event = json.loads(self.rfile.read(length) or b"{}")
        try:
            return self.answer(200, function(event))
        except Exception as error:  # a function error, as Lambda reports it
            body = {"errorMessage": str(error), "errorType": type(error).__name__}
            return self.answer(200, body, {"X-Amz-Function-Error": "Unhandled"})

    def answer(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 3001
    ThreadingHTTPServer(("127.0.0.1", port), Invoke).serve_forever()
