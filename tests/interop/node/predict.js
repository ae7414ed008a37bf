// Calls Scorer.Predict with @grpc/grpc-js, a gRPC client nobody on this project wrote, using the service definition
// loaded from shared/Scoring/scorer.proto at run time. Run by tests/IntegrationTests/Scoring.
// Prints one JSON line: {"ok": true, "response": {...}} or {"ok": false, "code": N, "name": "...", "details": "..."},
// and exits 0 either way: the caller asserts on what it printed.
'use strict';

const path = require('node:path');
const { parseArgs } = require('node:util');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const { values: args } = parseArgs({
  options: {
    address: { type: 'string' }, // host:port of the Scorer's h2c endpoint
    request: { type: 'string' }, // PredictRequest as JSON with the proto's field names
    token: { type: 'string' }, // sent as 'authorization: Bearer <token>' metadata
    'timeout-ms': { type: 'string', default: '10000' },
    'pad-bytes': { type: 'string', default: '0' }, // adds a raw item with this many characters of text
  },
});

const proto = path.join(__dirname, '..', '..', '..', 'shared', 'Scoring', 'scorer.proto');
const definition = protoLoader.loadSync(proto, { keepCase: true, longs: String, enums: String, defaults: true, arrays: true });
const { Scorer } = grpc.loadPackageDefinition(definition).activelabel.scoring.v1;

const request = JSON.parse(args.request);
const padBytes = Number(args['pad-bytes']);
if (padBytes > 0) {
  request.items = [...(request.items ?? []), { text: 'x'.repeat(padBytes) }];
}

const metadata = new grpc.Metadata();
if (args.token) {
  metadata.add('authorization', `Bearer ${args.token}`);
}

const client = new Scorer(args.address, grpc.credentials.createInsecure());
const deadline = new Date(Date.now() + Number(args['timeout-ms']));
client.Predict(request, metadata, { deadline }, (error, response) => {
  const output = error
    ? { ok: false, code: error.code, name: grpc.status[error.code], details: error.details }
    : { ok: true, response };
  process.stdout.write(JSON.stringify(output) + '\n');
  client.close();
});
