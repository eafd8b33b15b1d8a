#!/usr/bin/env node
// peer.js - the peer of bench/run-compare.sh (issue 7): PutItem, GetItem and
// Query of the comparison's items against a DynamoDB endpoint (dynalite on
// 127.0.0.1, started by the benchmark) through @aws-sdk/client-dynamodb.
//
// Usage: node peer.js ENDPOINT TABLE ITEMS PARTITIONS CONCURRENCY
//
// Creates TABLE (pk S HASH, sk S RANGE), then with CONCURRENCY requests in
// flight: ITEMS PutItem, ITEMS GetItem (each checked), and one Query per
// partition (pk = :p, Limit 100: the 100-item range view). Prints one JSON
// line: {"put": ops/s, "get": ops/s, "query": queries/s, ...}.
'use strict';
const http = require('http');
const {
  DynamoDBClient, CreateTableCommand, DescribeTableCommand, PutItemCommand,
  GetItemCommand, QueryCommand,
} = require('@aws-sdk/client-dynamodb');

const [endpoint, table, itemsArg, partsArg, concArg] = process.argv.slice(2);
if (!concArg) {
  console.error('usage: peer.js ENDPOINT TABLE ITEMS PARTITIONS CONCURRENCY');
  process.exit(2);
}
const items = Number(itemsArg), parts = Number(partsArg), conc = Number(concArg);
const per = Math.floor(items / parts);
const pad = 'x'.repeat(200);
const pkOf = (p) => 'p' + String(p).padStart(5, '0');
const skOf = (s) => 's' + String(s).padStart(7, '0');

const client = new DynamoDBClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  maxAttempts: 1,
  requestHandler: { httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }) },
});

function item(p, s) {
  return {
    pk: { S: pkOf(p) }, sk: { S: skOf(s) }, data: { S: pad }, n: { N: s + '.5' },
  };
}

// Runs fn(i) for i in [0, n) with conc calls in flight; returns ops/s.
async function pool(n, fn) {
  let next = 0;
  const t0 = process.hrtime.bigint();
  async function worker() {
    while (next < n) {
      const i = next++;
      await fn(i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(conc, n) }, worker));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return n / secs;
}

async function main() {
  await client.send(new CreateTableCommand({
    TableName: table,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  for (;;) {
    const d = await client.send(new DescribeTableCommand({ TableName: table }));
    if (d.Table.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  // Item i is partition i % parts (so concurrent writers spread over
  // partitions, as the 4 processes of the filesystem side do), sort key i / parts.
  const key = (i) => [i % parts, Math.floor(i / parts)];
  const n = per * parts;
  const put = await pool(n, async (i) => {
    const [p, s] = key(i);
    await client.send(new PutItemCommand({ TableName: table, Item: item(p, s) }));
  });
  const get = await pool(n, async (i) => {
    const [p, s] = key(i);
    const r = await client.send(new GetItemCommand({
      TableName: table, Key: { pk: { S: pkOf(p) }, sk: { S: skOf(s) } },
    }));
    if (!r.Item || r.Item.data.S !== pad) throw new Error('GetItem: wrong item ' + pkOf(p) + '/' + skOf(s));
  });
  const want = Math.min(per, 100);
  const query = await pool(parts, async (p) => {
    const r = await client.send(new QueryCommand({
      TableName: table, KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': { S: pkOf(p) } }, Limit: 100,
    }));
    if (r.Items.length !== want) throw new Error('Query: ' + r.Items.length + ' items, not ' + want);
  });
  console.log(JSON.stringify({ put, get, query, items: n, partitions: parts, concurrency: conc }));
  client.destroy();
}

main().catch((e) => {
  console.error('peer.js:', e && e.stack ? e.stack : e);
  process.exit(1);
});
