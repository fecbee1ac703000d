// Starts kinesalite on 127.0.0.1 (its own CLI listens on every interface) on a free port and writes
// http://127.0.0.1:PORT to the file given, once it listens. Used by eng/test-peers.sh (peer kinesis).
// usage: node kinesalite-server.js <kinesalite module dir> <address file>
'use strict';
const fs = require('fs');
const [moduleDir, addressFile] = process.argv.slice(2);
const kinesalite = require(moduleDir);
// Streams become ACTIVE at once and reshards finish at once. kinesalite counts the shards of every stream it
// holds against the limit, and a peer outlives test runs: room for many runs' streams.
const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 10000 });
server.listen(0, '127.0.0.1', () => {
  const address = 'http://127.0.0.1:' + server.address().port;
  fs.writeFileSync(addressFile + '.tmp', address + '\n');
  fs.renameSync(addressFile + '.tmp', addressFile);
  console.log('kinesalite listening at ' + address);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
