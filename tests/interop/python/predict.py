"""Calls Scorer.Predict with Debian's python3-grpcio, a gRPC client nobody on this project wrote.

Run by tests/IntegrationTests/Scoring (Debian's /usr/bin/python3, which has python3-grpcio and python3-protobuf).
The messages are generated at test time by protoc (from the Grpc.Tools NuGet package) into --generated; nothing
generated is committed. Prints one JSON line: {"ok": true, "response": {...}} or {"ok": false, "code": N,
"name": "...", "details": "..."}, and exits 0 either way: the caller asserts on what it printed.
"""
import argparse
import json
import sys

import grpc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True, help="host:port of the Scorer's h2c endpoint")
    parser.add_argument("--generated", required=True, help="directory holding scorer_pb2.py")
    parser.add_argument("--request", required=True, help="PredictRequest as proto3 JSON")
    parser.add_argument("--token", help="API token, sent as 'authorization: Bearer <token>' metadata")
    parser.add_argument("--timeout-ms", type=float, default=10_000, help="deadline of the call")
    parser.add_argument("--pad-bytes", type=int, default=0, help="add a raw item with this many characters of text")
    parser.add_argument("--gzip", action="store_true", help="compress the request message (grpc-encoding gzip)")
    args = parser.parse_args()

    sys.path.insert(0, args.generated)
    import scorer_pb2  # noqa: E402 (generated at test time)
    from google.protobuf import json_format

    request = json_format.Parse(args.request, scorer_pb2.PredictRequest())
    if args.pad_bytes:
        request.items.add(text="x" * args.pad_bytes)

    metadata = (("authorization", f"Bearer {args.token}"),) if args.token else None
    with grpc.insecure_channel(args.address) as channel:
        predict = channel.unary_unary(
            "/activelabel.scoring.v1.Scorer/Predict",
            request_serializer=scorer_pb2.PredictRequest.SerializeToString,
            response_deserializer=scorer_pb2.PredictResponse.FromString,
        )
        try:
            response = predict(
                request,
                timeout=args.timeout_ms / 1000,
                metadata=metadata,
                compression=grpc.Compression.Gzip if args.gzip else None,
            )
        except grpc.RpcError as error:
            code = error.code()
            print(json.dumps({"ok": False, "code": code.value[0], "name": code.name, "details": error.details()}))
            return

    body = json_format.MessageToDict(response, preserving_proto_field_name=True, including_default_value_fields=True)
    print(json.dumps({"ok": True, "response": body}))


if __name__ == "__main__":
    main()
