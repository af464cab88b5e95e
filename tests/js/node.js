// MQTT.js under node against mqtk serve: `node node.js URL VERSION` runs scenario.js and prints
// "ok CHECK" per check, then "OK", or "FAIL why" and exits 1.
'use strict';
const mqtt = require('mqtt');
const { mqtkScenario } = require('./scenario.js');

const [url, version] = process.argv.slice(2);
mqtkScenario(mqtt, url, Number(version), console.log).then(
  () => console.log('OK'),
  (err) => {
    console.log(`FAIL ${err.message}`);
    process.exit(1);
  },
);
