# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mqtk_global_optspecs
    string join \n help version
end

function __fish_mqtk_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mqtk_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mqtk_using_subcommand
    set -l cmd (__fish_mqtk_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mqtk -n "__fish_mqtk_needs_command" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_needs_command" -l version -d 'Print version'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "pub" -d 'Publish a message, like mosquitto_pub'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "sub" -d 'Subscribe and print messages, like mosquitto_sub'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "rr" -d 'Publish a request and print the response, like mosquitto_rr'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "serve" -d 'Run an MQTT 3.1.1 and 5 broker, like mosquitto (beyond mosquitto\'s clients)'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "passwd" -d 'Add, change or delete users in a password file, like mosquitto_passwd'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "bench" -d 'Measure a broker: connections, throughput, end-to-end latency, loss'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "check" -d 'Probe a broker: its MQTT 5 limits and what it does, one result per check'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s h -l host -d 'Broker host [default: localhost]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s p -l port -d 'Broker port [default: 1883, 8883 with --cafile/--capath]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s L -l url -d 'Broker and topic as mqtt(s)://[user[:pass]@]host[:port]/topic' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s i -l id -d 'Client id [default: empty, the broker assigns one]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s I -l id-prefix -d 'Client id = PREFIX followed by the process id' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s k -l keepalive -d 'Keepalive in seconds (5-65535)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s u -l username -d 'Username' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s P -l pw -d 'Password' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s V -l protocol-version -d 'MQTT version: 5, 311, 31, mqttv5, mqttv311 or mqttv31 [default: 311; 5 for rr]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s x -d 'MQTT 5 session expiry interval; -1, 4294967295 or ∞ never expire' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s A -d 'Bind the outgoing socket to this local address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l unix -d 'Connect through a unix domain socket' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s q -l qos -d 'Quality of service (0, 1 or 2)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s M -d 'Maximum QoS 1/2 messages in flight [default: as many as the broker\'s receive maximum allows, within 1 MiB; 20 for QoS 2 over MQTT 3.1.1]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-topic -d 'Topic of the last will' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-payload -d 'Payload of the last will [default: empty]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-qos -d 'QoS of the last will' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l cafile -d 'Trusted CA certificates (PEM); enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l capath -d 'Directory of trusted CA certificates; enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l cert -d 'Client certificate (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l key -d 'Client private key (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l tls-version -d 'TLS version: tlsv1.3 or tlsv1.2 (tlsv1.1 is not supported)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l tls-alpn -d 'ALPN protocol to offer' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l tls-keylog -d 'Append TLS session secrets to FILE in NSS key log format, for Wireshark' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s D -l property -d 'MQTT 5 property, e.g. -D publish content-type text/plain; implies -V 5' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s o -d 'Read options from FILE, one per line (mosquitto 2.1)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l ciphers -d '--ciphers: OpenSSL cipher list; ignored (rustls\' suites are all modern)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l keyform -d '--keyform: `pem` is accepted and ignored, `engine` is rejected' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l tls-engine -d '--tls-engine: rejected (OpenSSL engines)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l tls-engine-kpass-sha1 -d '--tls-engine-kpass-sha1: rejected (OpenSSL engines)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l psk -d '--psk: rejected (rustls has no TLS-PSK)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l psk-identity -d '--psk-identity: rejected with --psk' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l proxy -d '--proxy: rejected (no SOCKS5 support)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s t -l topic -d 'Topic to publish to' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s m -l message -d 'Payload given on the command line' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s f -l file -d 'Send the contents of FILE as the payload' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l repeat -d 'Publish the message COUNT times' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l repeat-delay -d 'Seconds (fractions allowed) to wait between repeats' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l topic-from-line -d 'With -l, split each line at the first SEP into topic and payload (mqtk extension)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l replay -d 'Publish each record of FILE (- for stdin), as sub --json writes them, with its topic, QoS, retain and properties (mqtk extension)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l speed -d 'With --replay-timing, play FACTOR times faster (0.5: half speed) [default: 1]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s c -l disable-clean-session -d 'Keep the session on the broker (needs -i)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l nodelay -d 'Disable Nagle\'s algorithm (TCP_NODELAY)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l ws -d 'Connect over WebSocket (path /mqtt), as -L ws://host:port/ does'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l quiet -d 'Do not print error messages'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s d -l debug -d 'Print debug messages'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-retain -d 'Retain the last will'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l insecure -d 'Do not check the server certificate\'s hostname'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l no-tls -d 'Do not use TLS, cancelling TLS options given elsewhere (an options file)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s S -d '-S: rejected (no DNS SRV lookup)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s s -l stdin-file -d 'Send all of stdin as the payload'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s n -l null-message -d 'Send a zero-length payload'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s l -l stdin-line -d 'Send each line of stdin as a message; reconnect and resend if the connection drops'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s r -l retain -d 'Retain the message'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l replay-timing -d 'With --replay, keep the original spacing between messages (from their tst)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l version -d 'Print version'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s h -l host -d 'Broker host [default: localhost]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s p -l port -d 'Broker port [default: 1883, 8883 with --cafile/--capath]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s L -l url -d 'Broker and topic as mqtt(s)://[user[:pass]@]host[:port]/topic' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s i -l id -d 'Client id [default: empty, the broker assigns one]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s I -l id-prefix -d 'Client id = PREFIX followed by the process id' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s k -l keepalive -d 'Keepalive in seconds (5-65535)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s u -l username -d 'Username' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s P -l pw -d 'Password' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s V -l protocol-version -d 'MQTT version: 5, 311, 31, mqttv5, mqttv311 or mqttv31 [default: 311; 5 for rr]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s x -d 'MQTT 5 session expiry interval; -1, 4294967295 or ∞ never expire' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s A -d 'Bind the outgoing socket to this local address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l unix -d 'Connect through a unix domain socket' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s q -l qos -d 'Quality of service (0, 1 or 2)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s M -d 'Maximum QoS 1/2 messages in flight [default: as many as the broker\'s receive maximum allows, within 1 MiB; 20 for QoS 2 over MQTT 3.1.1]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-topic -d 'Topic of the last will' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-payload -d 'Payload of the last will [default: empty]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-qos -d 'QoS of the last will' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l cafile -d 'Trusted CA certificates (PEM); enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l capath -d 'Directory of trusted CA certificates; enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l cert -d 'Client certificate (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l key -d 'Client private key (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l tls-version -d 'TLS version: tlsv1.3 or tlsv1.2 (tlsv1.1 is not supported)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l tls-alpn -d 'ALPN protocol to offer' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l tls-keylog -d 'Append TLS session secrets to FILE in NSS key log format, for Wireshark' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s D -l property -d 'MQTT 5 property, e.g. -D publish content-type text/plain; implies -V 5' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s o -d 'Read options from FILE, one per line (mosquitto 2.1)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l ciphers -d '--ciphers: OpenSSL cipher list; ignored (rustls\' suites are all modern)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l keyform -d '--keyform: `pem` is accepted and ignored, `engine` is rejected' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l tls-engine -d '--tls-engine: rejected (OpenSSL engines)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l tls-engine-kpass-sha1 -d '--tls-engine-kpass-sha1: rejected (OpenSSL engines)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l psk -d '--psk: rejected (rustls has no TLS-PSK)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l psk-identity -d '--psk-identity: rejected with --psk' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l proxy -d '--proxy: rejected (no SOCKS5 support)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s F -d 'Output format (%t topic, %p payload, %j JSON, ...)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s t -l topic -d 'Topic filter to subscribe to (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s T -l filter-out -d 'Do not print topics matching FILTER (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s C -d 'Exit after COUNT messages' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s W -d 'Exit after SECONDS (exit code 27)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s U -l unsubscribe -d 'Unsubscribe from FILTER (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l random-filter -d 'Print only PERCENT % of messages, at random' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l retain-handling -d 'Retained messages on subscribing: always, new (only for a new subscription) or never (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s c -l disable-clean-session -d 'Keep the session on the broker (needs -i)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l nodelay -d 'Disable Nagle\'s algorithm (TCP_NODELAY)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l ws -d 'Connect over WebSocket (path /mqtt), as -L ws://host:port/ does'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l quiet -d 'Do not print error messages'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s d -l debug -d 'Print debug messages'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-retain -d 'Retain the last will'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l insecure -d 'Do not check the server certificate\'s hostname'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l no-tls -d 'Do not use TLS, cancelling TLS options given elsewhere (an options file)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s S -d '-S: rejected (no DNS SRV lookup)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s v -l verbose -d 'Print the topic before the payload'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s N -d 'Do not print a newline after each message'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l pretty -d 'Pretty-print JSON output'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l json -d 'Print one binary-safe JSON line per message (mqtk extension)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s R -d 'Do not print retained (stale) messages'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s E -d 'Exit once all subscriptions are acknowledged'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l retained-only -d 'Print only retained messages; exit at the first live one'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l remove-retained -d 'Clear every retained message received'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l retain-as-published -d 'Keep the retain flag as published (MQTT 5)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s w -l watch -d 'Print each topic\'s messages on a fixed terminal row (ANSI cursor moves)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l message-rate -d 'Print the number of messages received each second (N msgs/s) instead of the messages; turns -w off'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l version -d 'Print version'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s h -l host -d 'Broker host [default: localhost]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s p -l port -d 'Broker port [default: 1883, 8883 with --cafile/--capath]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s L -l url -d 'Broker and topic as mqtt(s)://[user[:pass]@]host[:port]/topic' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s i -l id -d 'Client id [default: empty, the broker assigns one]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s I -l id-prefix -d 'Client id = PREFIX followed by the process id' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s k -l keepalive -d 'Keepalive in seconds (5-65535)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s u -l username -d 'Username' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s P -l pw -d 'Password' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s V -l protocol-version -d 'MQTT version: 5, 311, 31, mqttv5, mqttv311 or mqttv31 [default: 311; 5 for rr]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s x -d 'MQTT 5 session expiry interval; -1, 4294967295 or ∞ never expire' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s A -d 'Bind the outgoing socket to this local address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l unix -d 'Connect through a unix domain socket' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s q -l qos -d 'Quality of service (0, 1 or 2)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s M -d 'Maximum QoS 1/2 messages in flight [default: as many as the broker\'s receive maximum allows, within 1 MiB; 20 for QoS 2 over MQTT 3.1.1]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-topic -d 'Topic of the last will' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-payload -d 'Payload of the last will [default: empty]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-qos -d 'QoS of the last will' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l cafile -d 'Trusted CA certificates (PEM); enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l capath -d 'Directory of trusted CA certificates; enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l cert -d 'Client certificate (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l key -d 'Client private key (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l tls-version -d 'TLS version: tlsv1.3 or tlsv1.2 (tlsv1.1 is not supported)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l tls-alpn -d 'ALPN protocol to offer' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l tls-keylog -d 'Append TLS session secrets to FILE in NSS key log format, for Wireshark' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s D -l property -d 'MQTT 5 property, e.g. -D publish content-type text/plain; implies -V 5' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s o -d 'Read options from FILE, one per line (mosquitto 2.1)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l ciphers -d '--ciphers: OpenSSL cipher list; ignored (rustls\' suites are all modern)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l keyform -d '--keyform: `pem` is accepted and ignored, `engine` is rejected' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l tls-engine -d '--tls-engine: rejected (OpenSSL engines)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l tls-engine-kpass-sha1 -d '--tls-engine-kpass-sha1: rejected (OpenSSL engines)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l psk -d '--psk: rejected (rustls has no TLS-PSK)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l psk-identity -d '--psk-identity: rejected with --psk' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l proxy -d '--proxy: rejected (no SOCKS5 support)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s F -d 'Output format (%t topic, %p payload, %j JSON, ...)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s e -d 'Response topic to wait on (required)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s t -l topic -d 'Topic to send the request to' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s m -l message -d 'Payload given on the command line' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s f -l file -d 'Send the contents of FILE as the payload' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s W -d 'Wait at most SECONDS for the response (exit code 27)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l retain-handling -d 'Retained messages on subscribing: always, new (only for a new subscription) or never (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s c -l disable-clean-session -d 'Keep the session on the broker (needs -i)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l nodelay -d 'Disable Nagle\'s algorithm (TCP_NODELAY)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l ws -d 'Connect over WebSocket (path /mqtt), as -L ws://host:port/ does'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l quiet -d 'Do not print error messages'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s d -l debug -d 'Print debug messages'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-retain -d 'Retain the last will'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l insecure -d 'Do not check the server certificate\'s hostname'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l no-tls -d 'Do not use TLS, cancelling TLS options given elsewhere (an options file)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s S -d '-S: rejected (no DNS SRV lookup)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s v -l verbose -d 'Print the topic before the payload'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s N -d 'Do not print a newline after each message'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l pretty -d 'Pretty-print JSON output'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l json -d 'Print one binary-safe JSON line per message (mqtk extension)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s R -d 'Do not print retained (stale) messages'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s s -l stdin-file -d 'Send all of stdin as the payload'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s n -l null-message -d 'Send a zero-length payload'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l retain-as-published -d 'Keep the retain flag as published (MQTT 5)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l latency -d 'After the response, print the time from sending the request to receiving the response'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l version -d 'Print version'
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -s p -l port -d 'Port to listen on (0: any free port); the bound address is the first line on stdout' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -l bind -d 'Address to listen on with --port [default: 127.0.0.1]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -l tls-port -d 'Port of an MQTT over TLS listener on the --bind address; needs --cert and --key' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -l ws-port -d 'Port of an MQTT over WebSocket listener (paths /mqtt and /) on the --bind address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -l wss-port -d 'Port of an MQTT over secure WebSocket listener; needs --cert and --key' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -l cert -d 'PEM certificate chain of the --tls-port and --wss-port listeners' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -l key -d 'PEM private key of --cert' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -l cafile -d 'PEM CA certificates: TLS clients must present a certificate issued by one of them' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -s c -l config -d 'mosquitto.conf-style configuration file (listener, port, bind_address, allow_anonymous, protocol, certfile, keyfile, cafile, crlfile, require_certificate, tls_version, use_identity_as_username, use_username_as_clientid, mount_point, password_file, acl_file, per_listener_settings, include_dir), the persistence keys (persistence, persistence_location, persistence_file, autosave_interval, autosave_on_changes, persistent_client_expiration) and the limit keys (max_connections, max_queued_messages, max_inflight_messages, message_size_limit, max_qos, ...)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -l password-file -d 'Password file in mosquitto_passwd format ($7$, $6$ or argon2id hashes); clients without a username are then refused unless --allow-anonymous. Reloaded on SIGHUP. Overrides the configuration file\'s, on every listener' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -l acl-file -d 'ACL file in mosquitto\'s acl_file format (user, topic, pattern); checked on publish, subscribe and delivery. Reloaded on SIGHUP. Overrides the configuration file\'s, on every listener' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -l persist -d 'Keep retained messages and persistent sessions in FILE across restarts (saved at most every autosave_interval, 1 s by default, and at shutdown)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -l use-identity-as-username -d 'Use the client certificate\'s common name (CN) as the username; needs --cafile'
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -l allow-anonymous -d 'Accept clients that send no username (overrides the configuration file, on every listener)'
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -l no-anonymous -d 'Refuse clients that send no username (overrides the configuration file, on every listener)'
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -s v -l verbose -d 'Log connections, subscriptions and errors to stderr'
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand serve" -l version -d 'Print version'
complete -c mqtk -n "__fish_mqtk_using_subcommand passwd" -s H -d 'Hash for new passwords' -r -f -a "sha512-pbkdf2\t'`$7$`: PBKDF2-HMAC-SHA512, mosquitto 2.0\'s format'
argon2id\t'`$argon2id$`: read by mosquitto 2.1 and mqtk, not by mosquitto 2.0'"
complete -c mqtk -n "__fish_mqtk_using_subcommand passwd" -s I -d 'PBKDF2 iterations for sha512-pbkdf2' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand passwd" -s c -d 'Create (or overwrite) the file instead of updating it'
complete -c mqtk -n "__fish_mqtk_using_subcommand passwd" -s D -d 'Delete USER from the file'
complete -c mqtk -n "__fish_mqtk_using_subcommand passwd" -s b -d 'Take the password from the command line instead of prompting'
complete -c mqtk -n "__fish_mqtk_using_subcommand passwd" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand passwd" -l version -d 'Print version'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s h -l host -d 'Broker host [default: localhost]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s p -l port -d 'Broker port [default: 1883, 8883 with --cafile/--capath]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s L -l url -d 'Broker as mqtt(s)://[user[:pass]@]host[:port] or ws(s)://host[:port]/path' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s u -l username -d 'Username (%i: client index)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s P -l pw -d 'Password' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s V -l protocol-version -d 'MQTT version: 5, 311, mqttv5 or mqttv311 [default: 311]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s k -l keepalive -d 'Keepalive in seconds (5-65535)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s A -d 'Bind outgoing sockets to this local address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l unix -d 'Connect through a unix domain socket' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l cafile -d 'Trusted CA certificates (PEM); enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l capath -d 'Directory of trusted CA certificates; enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l cert -d 'Client certificate (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l key -d 'Client private key (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l tls-version -d 'TLS version: tlsv1.3 or tlsv1.2 (tlsv1.1 is not supported)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l tls-alpn -d 'ALPN protocol to offer' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l tls-keylog -d 'Append TLS session secrets to FILE in NSS key log format, for Wireshark' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s d -l duration -d 'Measure for DURATION (10s, 2m; bare number = seconds); also caps --count runs' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s R -l connect-rate -d 'Open at most PER_SEC connections per second [default: no limit]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l connect-timeout -d 'Give up on a connection attempt after DURATION' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l id-prefix -d 'Client ids are PREFIX-pN (publishers), -sN (subscribers), -cN (conn) [default: mqtk-bench-PID]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l max-p99 -d 'Fail when p99 latency exceeds DURATION (5ms, 200us; bare number = ms); pub: publish-to-ack, conn: connect time' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l max-loss -d 'Fail when more than PERCENT % are lost (conn: fail to connect)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l min-rate -d 'Fail below PER_SEC received msg/s (pub: acked or sent; conn: connections/s)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s c -l clients -d 'Number of publishers' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l rate -d 'Total target msg/s, spread over the publishers [default: as fast as possible]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s I -l interval -d 'Time between messages of each publisher (10ms, 1s; bare number = ms)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l count -d 'Stop after N messages in all (after --warmup); --duration still caps the run' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s s -l size -d 'Payload size in bytes (at least 28, the bench header)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s q -l qos -d 'Quality of service (0, 1 or 2)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s t -l topic -d 'Topic template: %i client index, %c client id, %u username, %s sequence, %% a percent sign' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l inflight -d 'Unacknowledged QoS 1/2 messages per publisher' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s w -l warmup -d 'Run this long before measuring (bare number = seconds)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l subscribers -d 'Number of subscribers' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l sub-topic -d 'Subscription filter, repeatable (%i %c %u; $share/GROUP/...) [default: -t with each templated level as +]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l insecure -d 'Do not check the server certificate\'s hostname'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l no-tls -d 'Do not use TLS, cancelling TLS options given elsewhere (an options file)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l serve -d 'Start the embedded broker on a free loopback port and bench it'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l json -d 'Print the summary as one line of JSON on stdout'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -s r -l retain -d 'Publish with the retain flag'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -l version -d 'Print version'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -f -a "conn" -d 'Open connections at a ramp rate, hold them, report connect rate and times'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -f -a "pub" -d 'Publishers only (pair with `bench sub` in another process)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -f -a "sub" -d 'Subscribers only (pair with `bench pub` in another process)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -f -a "pubsub" -d 'Publishers and subscribers in one process: end-to-end latency on one clock (default)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from conn pub sub pubsub merge" -f -a "merge" -d 'Merge the --json summaries of runs split over processes or machines into one'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s h -l host -d 'Broker host [default: localhost]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s p -l port -d 'Broker port [default: 1883, 8883 with --cafile/--capath]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s L -l url -d 'Broker as mqtt(s)://[user[:pass]@]host[:port] or ws(s)://host[:port]/path' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s u -l username -d 'Username (%i: client index)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s P -l pw -d 'Password' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s V -l protocol-version -d 'MQTT version: 5, 311, mqttv5 or mqttv311 [default: 311]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s k -l keepalive -d 'Keepalive in seconds (5-65535)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s A -d 'Bind outgoing sockets to this local address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l unix -d 'Connect through a unix domain socket' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l cafile -d 'Trusted CA certificates (PEM); enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l capath -d 'Directory of trusted CA certificates; enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l cert -d 'Client certificate (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l key -d 'Client private key (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l tls-version -d 'TLS version: tlsv1.3 or tlsv1.2 (tlsv1.1 is not supported)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l tls-alpn -d 'ALPN protocol to offer' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l tls-keylog -d 'Append TLS session secrets to FILE in NSS key log format, for Wireshark' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s d -l duration -d 'Measure for DURATION (10s, 2m; bare number = seconds); also caps --count runs' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s R -l connect-rate -d 'Open at most PER_SEC connections per second [default: no limit]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l connect-timeout -d 'Give up on a connection attempt after DURATION' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l id-prefix -d 'Client ids are PREFIX-pN (publishers), -sN (subscribers), -cN (conn) [default: mqtk-bench-PID]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l max-p99 -d 'Fail when p99 latency exceeds DURATION (5ms, 200us; bare number = ms); pub: publish-to-ack, conn: connect time' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l max-loss -d 'Fail when more than PERCENT % are lost (conn: fail to connect)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l min-rate -d 'Fail below PER_SEC received msg/s (pub: acked or sent; conn: connections/s)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -s c -l clients -d 'Number of connections' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l insecure -d 'Do not check the server certificate\'s hostname'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l no-tls -d 'Do not use TLS, cancelling TLS options given elsewhere (an options file)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l serve -d 'Start the embedded broker on a free loopback port and bench it'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l json -d 'Print the summary as one line of JSON on stdout'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from conn" -l version -d 'Print version'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s h -l host -d 'Broker host [default: localhost]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s p -l port -d 'Broker port [default: 1883, 8883 with --cafile/--capath]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s L -l url -d 'Broker as mqtt(s)://[user[:pass]@]host[:port] or ws(s)://host[:port]/path' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s u -l username -d 'Username (%i: client index)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s P -l pw -d 'Password' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s V -l protocol-version -d 'MQTT version: 5, 311, mqttv5 or mqttv311 [default: 311]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s k -l keepalive -d 'Keepalive in seconds (5-65535)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s A -d 'Bind outgoing sockets to this local address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l unix -d 'Connect through a unix domain socket' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l cafile -d 'Trusted CA certificates (PEM); enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l capath -d 'Directory of trusted CA certificates; enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l cert -d 'Client certificate (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l key -d 'Client private key (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l tls-version -d 'TLS version: tlsv1.3 or tlsv1.2 (tlsv1.1 is not supported)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l tls-alpn -d 'ALPN protocol to offer' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l tls-keylog -d 'Append TLS session secrets to FILE in NSS key log format, for Wireshark' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s d -l duration -d 'Measure for DURATION (10s, 2m; bare number = seconds); also caps --count runs' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s R -l connect-rate -d 'Open at most PER_SEC connections per second [default: no limit]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l connect-timeout -d 'Give up on a connection attempt after DURATION' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l id-prefix -d 'Client ids are PREFIX-pN (publishers), -sN (subscribers), -cN (conn) [default: mqtk-bench-PID]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l max-p99 -d 'Fail when p99 latency exceeds DURATION (5ms, 200us; bare number = ms); pub: publish-to-ack, conn: connect time' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l max-loss -d 'Fail when more than PERCENT % are lost (conn: fail to connect)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l min-rate -d 'Fail below PER_SEC received msg/s (pub: acked or sent; conn: connections/s)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s c -l clients -d 'Number of publishers' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l rate -d 'Total target msg/s, spread over the publishers [default: as fast as possible]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s I -l interval -d 'Time between messages of each publisher (10ms, 1s; bare number = ms)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l count -d 'Stop after N messages in all (after --warmup); --duration still caps the run' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s s -l size -d 'Payload size in bytes (at least 28, the bench header)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s q -l qos -d 'Quality of service (0, 1 or 2)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s t -l topic -d 'Topic template: %i client index, %c client id, %u username, %s sequence, %% a percent sign' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l inflight -d 'Unacknowledged QoS 1/2 messages per publisher' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s w -l warmup -d 'Run this long before measuring (bare number = seconds)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l insecure -d 'Do not check the server certificate\'s hostname'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l no-tls -d 'Do not use TLS, cancelling TLS options given elsewhere (an options file)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l serve -d 'Start the embedded broker on a free loopback port and bench it'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l json -d 'Print the summary as one line of JSON on stdout'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -s r -l retain -d 'Publish with the retain flag'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pub" -l version -d 'Print version'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s h -l host -d 'Broker host [default: localhost]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s p -l port -d 'Broker port [default: 1883, 8883 with --cafile/--capath]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s L -l url -d 'Broker as mqtt(s)://[user[:pass]@]host[:port] or ws(s)://host[:port]/path' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s u -l username -d 'Username (%i: client index)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s P -l pw -d 'Password' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s V -l protocol-version -d 'MQTT version: 5, 311, mqttv5 or mqttv311 [default: 311]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s k -l keepalive -d 'Keepalive in seconds (5-65535)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s A -d 'Bind outgoing sockets to this local address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l unix -d 'Connect through a unix domain socket' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l cafile -d 'Trusted CA certificates (PEM); enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l capath -d 'Directory of trusted CA certificates; enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l cert -d 'Client certificate (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l key -d 'Client private key (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l tls-version -d 'TLS version: tlsv1.3 or tlsv1.2 (tlsv1.1 is not supported)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l tls-alpn -d 'ALPN protocol to offer' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l tls-keylog -d 'Append TLS session secrets to FILE in NSS key log format, for Wireshark' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s d -l duration -d 'Measure for DURATION (10s, 2m; bare number = seconds); also caps --count runs' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s R -l connect-rate -d 'Open at most PER_SEC connections per second [default: no limit]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l connect-timeout -d 'Give up on a connection attempt after DURATION' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l id-prefix -d 'Client ids are PREFIX-pN (publishers), -sN (subscribers), -cN (conn) [default: mqtk-bench-PID]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l max-p99 -d 'Fail when p99 latency exceeds DURATION (5ms, 200us; bare number = ms); pub: publish-to-ack, conn: connect time' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l max-loss -d 'Fail when more than PERCENT % are lost (conn: fail to connect)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l min-rate -d 'Fail below PER_SEC received msg/s (pub: acked or sent; conn: connections/s)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s c -l clients -d 'Number of subscribers' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s t -l topic -d 'Topic filter, repeatable (%i %c %u; $share/GROUP/... shares) [default: mqtk/bench/#]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s q -l qos -d 'Subscription QoS' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l count -d 'Stop after receiving N messages in all; --duration still caps the run' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -s w -l warmup -d 'Ignore messages sent during the first DURATION' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l insecure -d 'Do not check the server certificate\'s hostname'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l no-tls -d 'Do not use TLS, cancelling TLS options given elsewhere (an options file)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l serve -d 'Start the embedded broker on a free loopback port and bench it'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l json -d 'Print the summary as one line of JSON on stdout'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from sub" -l version -d 'Print version'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s h -l host -d 'Broker host [default: localhost]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s p -l port -d 'Broker port [default: 1883, 8883 with --cafile/--capath]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s L -l url -d 'Broker as mqtt(s)://[user[:pass]@]host[:port] or ws(s)://host[:port]/path' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s u -l username -d 'Username (%i: client index)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s P -l pw -d 'Password' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s V -l protocol-version -d 'MQTT version: 5, 311, mqttv5 or mqttv311 [default: 311]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s k -l keepalive -d 'Keepalive in seconds (5-65535)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s A -d 'Bind outgoing sockets to this local address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l unix -d 'Connect through a unix domain socket' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l cafile -d 'Trusted CA certificates (PEM); enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l capath -d 'Directory of trusted CA certificates; enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l cert -d 'Client certificate (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l key -d 'Client private key (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l tls-version -d 'TLS version: tlsv1.3 or tlsv1.2 (tlsv1.1 is not supported)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l tls-alpn -d 'ALPN protocol to offer' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l tls-keylog -d 'Append TLS session secrets to FILE in NSS key log format, for Wireshark' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s d -l duration -d 'Measure for DURATION (10s, 2m; bare number = seconds); also caps --count runs' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s R -l connect-rate -d 'Open at most PER_SEC connections per second [default: no limit]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l connect-timeout -d 'Give up on a connection attempt after DURATION' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l id-prefix -d 'Client ids are PREFIX-pN (publishers), -sN (subscribers), -cN (conn) [default: mqtk-bench-PID]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l max-p99 -d 'Fail when p99 latency exceeds DURATION (5ms, 200us; bare number = ms); pub: publish-to-ack, conn: connect time' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l max-loss -d 'Fail when more than PERCENT % are lost (conn: fail to connect)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l min-rate -d 'Fail below PER_SEC received msg/s (pub: acked or sent; conn: connections/s)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s c -l clients -d 'Number of publishers' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l rate -d 'Total target msg/s, spread over the publishers [default: as fast as possible]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s I -l interval -d 'Time between messages of each publisher (10ms, 1s; bare number = ms)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l count -d 'Stop after N messages in all (after --warmup); --duration still caps the run' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s s -l size -d 'Payload size in bytes (at least 28, the bench header)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s q -l qos -d 'Quality of service (0, 1 or 2)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s t -l topic -d 'Topic template: %i client index, %c client id, %u username, %s sequence, %% a percent sign' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l inflight -d 'Unacknowledged QoS 1/2 messages per publisher' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s w -l warmup -d 'Run this long before measuring (bare number = seconds)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l subscribers -d 'Number of subscribers' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l sub-topic -d 'Subscription filter, repeatable (%i %c %u; $share/GROUP/...) [default: -t with each templated level as +]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l insecure -d 'Do not check the server certificate\'s hostname'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l no-tls -d 'Do not use TLS, cancelling TLS options given elsewhere (an options file)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l serve -d 'Start the embedded broker on a free loopback port and bench it'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l json -d 'Print the summary as one line of JSON on stdout'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -s r -l retain -d 'Publish with the retain flag'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from pubsub" -l version -d 'Print version'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from merge" -l max-p99 -d 'Fail when p99 latency exceeds DURATION (5ms, 200us; bare number = ms); pub: publish-to-ack, conn: connect time' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from merge" -l max-loss -d 'Fail when more than PERCENT % are lost (conn: fail to connect)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from merge" -l min-rate -d 'Fail below PER_SEC received msg/s (pub: acked or sent; conn: connections/s)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from merge" -l json -d 'Print the merged summary as one line of JSON on stdout'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from merge" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from merge" -l version -d 'Print version'
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -s h -l host -d 'Broker host [default: localhost]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -s p -l port -d 'Broker port [default: 1883, 8883 with --cafile/--capath]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -s L -l url -d 'Broker as mqtt(s)://[user[:pass]@]host[:port] or ws(s)://host[:port]/path' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -s P -l pw -d 'Password' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -s k -l keepalive -d 'Keepalive in seconds (5-65535)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -s A -d 'Bind outgoing sockets to this local address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l unix -d 'Connect through a unix domain socket' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l cafile -d 'Trusted CA certificates (PEM); enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l capath -d 'Directory of trusted CA certificates; enables TLS' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l cert -d 'Client certificate (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l key -d 'Client private key (PEM)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l tls-version -d 'TLS version: tlsv1.3 or tlsv1.2 (tlsv1.1 is not supported)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l tls-alpn -d 'ALPN protocol to offer' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l tls-keylog -d 'Append TLS session secrets to FILE in NSS key log format, for Wireshark' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l timeout -d 'Give up on any one step of a check after DURATION (5s, 500ms; bare number = s)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l payload-size -d 'Payload size the payload check must round-trip' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l topic-length -d 'Topic length the topic-length check must round-trip' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l client-id-length -d 'Client id length the client-id-length check must see accepted' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -s V -l protocol-version -d 'Probe only this MQTT version: 5, 311, mqttv5 or mqttv311 [default: both]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -s u -l username -d 'Username' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l insecure -d 'Do not check the server certificate\'s hostname'
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l tls-use-os-certs -d 'Trust the operating system\'s CA certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l no-tls -d 'Do not use TLS, cancelling TLS options given elsewhere (an options file)'
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l json -d 'Print the results as one JSON line instead of a table'
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l serve -d 'Start the embedded broker on a free loopback port and probe it'
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand check" -l version -d 'Print version'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr serve passwd bench check help" -f -a "pub" -d 'Publish a message, like mosquitto_pub'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr serve passwd bench check help" -f -a "sub" -d 'Subscribe and print messages, like mosquitto_sub'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr serve passwd bench check help" -f -a "rr" -d 'Publish a request and print the response, like mosquitto_rr'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr serve passwd bench check help" -f -a "serve" -d 'Run an MQTT 3.1.1 and 5 broker, like mosquitto (beyond mosquitto\'s clients)'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr serve passwd bench check help" -f -a "passwd" -d 'Add, change or delete users in a password file, like mosquitto_passwd'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr serve passwd bench check help" -f -a "bench" -d 'Measure a broker: connections, throughput, end-to-end latency, loss'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr serve passwd bench check help" -f -a "check" -d 'Probe a broker: its MQTT 5 limits and what it does, one result per check'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub rr serve passwd bench check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "conn" -d 'Open connections at a ramp rate, hold them, report connect rate and times'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "pub" -d 'Publishers only (pair with `bench sub` in another process)'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "sub" -d 'Subscribers only (pair with `bench pub` in another process)'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "pubsub" -d 'Publishers and subscribers in one process: end-to-end latency on one clock (default)'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "merge" -d 'Merge the --json summaries of runs split over processes or machines into one'
