// aedes (npm), a node MQTT broker, on 127.0.0.1 at a free port, for the tests that run mqtk's
// clients against other brokers (tests/other_brokers.rs): prints "aedes listening on PORT" and
// serves until killed.
import { Aedes } from 'aedes';
import { createServer } from 'node:net';

const aedes = await Aedes.createBroker();
const server = createServer(aedes.handle);
server.listen(0, '127.0.0.1', () => console.log(`aedes listening on ${server.address().port}`));
