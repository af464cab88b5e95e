// What every MQTT.js test does against mqtk serve, the same under node (node.js) and in chromium
// (page.html): connect, subscribe, publish at QoS 0, 1 and 2, a retained message, a will and,
// with MQTT 5, properties that must come back as they were sent. `log` gets "ok CHECK" for each
// check passed; the first failure throws. Every wait gives up after five seconds.
'use strict';

async function mqtkScenario(mqtt, url, version, log, options) {
  const v5 = version === 5;
  const base = `mqtk-js/${version}/${Math.random().toString(16).slice(2, 10)}`;
  const settings = { protocolVersion: version, reconnectPeriod: 0, connectTimeout: 5000, ...options };

  const within = (what, promise) => {
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing within 5 s`)), 5000);
    });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  };
  const expect = (what, got, want) => {
    const [a, b] = [JSON.stringify(got), JSON.stringify(want)];
    if (a !== b) throw new Error(`${what}: got ${a}, want ${b}`);
  };
  const connect = (clientId, more) => within(`CONNACK for ${clientId}`, new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { ...settings, clientId, ...more });
    client.once('connect', (connack) => resolve([client, connack]));
    client.once('error', reject);
  }));
  // Messages in order of arrival; `next(topic)` takes the first one on `topic`.
  const inbox = (client) => {
    const seen = [];
    const waiting = [];
    client.on('message', (topic, payload, packet) => {
      seen.push({ topic, payload: payload.toString(), packet });
      waiting.splice(0).forEach((wake) => wake());
    });
    return (topic) => within(`a message on ${topic}`, new Promise(function look(resolve) {
      const at = seen.findIndex((m) => m.topic === topic);
      if (at >= 0) resolve(seen.splice(at, 1)[0]);
      else waiting.push(() => look(resolve));
    }));
  };

  const [sub, connack] = await connect(`sub-${base}`);
  expect('CONNACK code', v5 ? connack.reasonCode : connack.returnCode, 0);
  if (v5) expect('CONNACK topic alias maximum', connack.properties.topicAliasMaximum, 10);
  const will = { topic: `${base}/will`, payload: 'gone', qos: 1, retain: false };
  if (v5) will.properties = { contentType: 'text/plain', userProperties: { why: 'lost' } };
  const [pub] = await connect(`pub-${base}`, { will });
  log('ok connect');

  const next = inbox(sub);
  const granted = await within('SUBACK', sub.subscribeAsync(`${base}/#`, {
    qos: 2,
    ...(v5 ? { properties: { subscriptionIdentifier: 7 } } : {}),
  }));
  expect('granted QoS', granted.map((g) => g.qos), [2]);
  log('ok subscribe');

  for (const qos of [0, 1, 2]) {
    await within(`publish QoS ${qos}`, pub.publishAsync(`${base}/q${qos}`, `at ${qos}`, { qos }));
    const m = await next(`${base}/q${qos}`);
    expect(`QoS ${qos} message`, [m.payload, m.packet.qos], [`at ${qos}`, qos]);
    log(`ok qos${qos}`);
  }

  await within('retained publish', pub.publishAsync(`${base}/kept`, 'kept', { qos: 1, retain: true }));
  await next(`${base}/kept`);
  const [late] = await connect(`late-${base}`);
  const lateNext = inbox(late);
  await within('late SUBACK', late.subscribeAsync(`${base}/kept`, { qos: 1 }));
  const kept = await lateNext(`${base}/kept`);
  expect('retained message', [kept.payload, kept.packet.retain], ['kept', true]);
  await within('retained cleared', pub.publishAsync(`${base}/kept`, '', { qos: 1, retain: true }));
  await within('late DISCONNECT', late.endAsync());
  log('ok retained');

  if (v5) {
    const properties = {
      payloadFormatIndicator: true,
      messageExpiryInterval: 60,
      contentType: 'application/json',
      responseTopic: `${base}/reply`,
      correlationData: 'req-42',
      userProperties: { a: '1', b: ['2', '3'] },
    };
    await within('publish with properties', pub.publishAsync(`${base}/props`, '{}', { qos: 1, properties }));
    const got = (await next(`${base}/props`)).packet.properties;
    const sent = { ...properties, subscriptionIdentifier: 7 };
    const back = Object.fromEntries(Object.keys(sent).map((k) => [k, got[k]]));
    back.correlationData = String(back.correlationData);
    // The broker counts down the expiry by the time the message waited: a second at most here.
    if (back.messageExpiryInterval === 59) back.messageExpiryInterval = 60;
    expect('properties', back, sent);
    log('ok properties');
  }

  pub.end(true); // the socket closes without DISCONNECT: the will goes out
  const gone = await next(`${base}/will`);
  expect('will', gone.payload, 'gone');
  if (v5) {
    const p = gone.packet.properties;
    expect('will properties', [p.contentType, p.userProperties], ['text/plain', { why: 'lost' }]);
  }
  log('ok will');
  await within('DISCONNECT', sub.endAsync());
}

if (typeof module !== 'undefined') module.exports = { mqtkScenario };
