#compdef etcdctl

autoload -U is-at-least

_etcdctl() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
":: :_etcdctl_commands" \
"*::: :->etcdctl" \
&& ret=0
    case $state in
    (etcdctl)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-command-$line[1]:"
        case $line[1] in
            (put)
_arguments "${_arguments_options[@]}" : \
'--lease=[lease ID (in hexadecimal) to attach to the key]:LEASE:_default' \
'--prev-kv=[return the previous key-value pair before modification]::PREV_KV:_default' \
'--ignore-value=[updates the key using its current value]::IGNORE_VALUE:_default' \
'--ignore-lease=[updates the key using its current lease]::IGNORE_LEASE:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <key> <value>; <value> is read from stdin when omitted:_default' \
&& ret=0
;;
(get)
_arguments "${_arguments_options[@]}" : \
'--consistency=[Linearizable(l) or Serializable(s)]:CONSISTENCY:_default' \
'--order=[Order of results; ASCEND or DESCEND (ASCEND by default)]:ORDER:_default' \
'--sort-by=[Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION]:SORT_BY:_default' \
'--limit=[Maximum number of results]:LIMIT:_default' \
'--prefix=[Get keys with matching prefix]::PREFIX:_default' \
'--from-key=[Get keys that are greater than or equal to the given key using byte compare]::FROM_KEY:_default' \
'--rev=[Specify the kv revision]:REV:_default' \
'--keys-only=[Get only the keys]::KEYS_ONLY:_default' \
'--count-only=[Get only the count (etcdctl 3.5 extension)]::COUNT_ONLY:_default' \
'--print-value-only=[Only write values when using the "simple" output format]::PRINT_VALUE_ONLY:_default' \
'--min-mod-rev=[Minimum modify revision (etcdctl 3.5 extension)]:MIN_MOD_REVISION:_default' \
'--max-mod-rev=[Maximum modify revision (etcdctl 3.5 extension)]:MAX_MOD_REVISION:_default' \
'--min-create-rev=[Minimum create revision (etcdctl 3.5 extension)]:MIN_CREATE_REVISION:_default' \
'--max-create-rev=[Maximum create revision (etcdctl 3.5 extension)]:MAX_CREATE_REVISION:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <key> \[range_end\]:_default' \
&& ret=0
;;
(del)
_arguments "${_arguments_options[@]}" : \
'--prefix=[delete keys with matching prefix]::PREFIX:_default' \
'--prev-kv=[return deleted key-value pairs]::PREV_KV:_default' \
'--from-key=[delete keys that are greater than or equal to the given key using byte compare]::FROM_KEY:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <key> \[range_end\]:_default' \
&& ret=0
;;
(txn)
_arguments "${_arguments_options[@]}" : \
'-i+[Input transaction in interactive mode]::INTERACTIVE:_default' \
'--interactive=[Input transaction in interactive mode]::INTERACTIVE:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- (no arguments accepted):_default' \
&& ret=0
;;
(compaction)
_arguments "${_arguments_options[@]}" : \
'--physical=['\''true'\'' to wait for compaction to physically remove all old revisions]::PHYSICAL:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <revision>:_default' \
&& ret=0
;;
(member)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
":: :_etcdctl__subcmd__member_commands" \
"*::: :->member" \
&& ret=0

    case $state in
    (member)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-member-command-$line[1]:"
        case $line[1] in
            (add)
_arguments "${_arguments_options[@]}" : \
'--peer-urls=[comma separated peer URLs for the new member]:PEER_URLS:_default' \
'--learner=[indicates if the new member is raft learner]::LEARNER:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <memberName>:_default' \
&& ret=0
;;
(remove)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <memberID>:_default' \
&& ret=0
;;
(update)
_arguments "${_arguments_options[@]}" : \
'--peer-urls=[comma separated peer URLs for the updated member]:PEER_URLS:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <memberID>:_default' \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(promote)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <memberID>:_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__member__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-member-help-command-$line[1]:"
        case $line[1] in
            (add)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(remove)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(update)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(promote)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(endpoint)
_arguments "${_arguments_options[@]}" : \
'--cluster=[use all endpoints from the cluster member list]::CLUSTER:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
":: :_etcdctl__subcmd__endpoint_commands" \
"*::: :->endpoint" \
&& ret=0

    case $state in
    (endpoint)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-endpoint-command-$line[1]:"
        case $line[1] in
            (health)
_arguments "${_arguments_options[@]}" : \
'--cluster=[use all endpoints from the cluster member list]::CLUSTER:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
'--cluster=[use all endpoints from the cluster member list]::CLUSTER:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(hashkv)
_arguments "${_arguments_options[@]}" : \
'--rev=[maximum revision to hash (default\: all revisions)]:REV:_default' \
'--cluster=[use all endpoints from the cluster member list]::CLUSTER:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__endpoint__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-endpoint-help-command-$line[1]:"
        case $line[1] in
            (health)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(hashkv)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(move-leader)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <transferee-member-id>:_default' \
&& ret=0
;;
(watch)
_arguments "${_arguments_options[@]}" : \
'-i+[Interactive mode]::INTERACTIVE:_default' \
'--interactive=[Interactive mode]::INTERACTIVE:_default' \
'--prefix=[Watch on a prefix if prefix is set]::PREFIX:_default' \
'--rev=[Revision to start watching]:REV:_default' \
'--prev-kv=[get the previous key-value pair before the event happens]::PREV_KV:_default' \
'--progress-notify=[get periodic watch progress notification from server (etcdctl 3.5 extension)]::PROGRESS_NOTIFY:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- \[key or prefix\] \[range_end\]:_default' \
&& ret=0
;;
(lease)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
":: :_etcdctl__subcmd__lease_commands" \
"*::: :->lease" \
&& ret=0

    case $state in
    (lease)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-lease-command-$line[1]:"
        case $line[1] in
            (grant)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <ttl>:_default' \
&& ret=0
;;
(revoke)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <leaseID>:_default' \
&& ret=0
;;
(timetolive)
_arguments "${_arguments_options[@]}" : \
'--keys=[Get keys attached to this lease]::KEYS:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <leaseID>:_default' \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(keep-alive)
_arguments "${_arguments_options[@]}" : \
'--once=[Resets the keep-alive time to its original value and exits immediately]::ONCE:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <leaseID>:_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__lease__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-lease-help-command-$line[1]:"
        case $line[1] in
            (grant)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(revoke)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(timetolive)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(keep-alive)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(lock)
_arguments "${_arguments_options[@]}" : \
'--ttl=[timeout for session]:TTL:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <lockname> \[exec-command arg1 arg2 ...\]:_default' \
&& ret=0
;;
(elect)
_arguments "${_arguments_options[@]}" : \
'-l+[observation mode]::LISTEN:_default' \
'--listen=[observation mode]::LISTEN:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <election-name> \[proposal\]:_default' \
&& ret=0
;;
(snapshot)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
":: :_etcdctl__subcmd__snapshot_commands" \
"*::: :->snapshot" \
&& ret=0

    case $state in
    (snapshot)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-snapshot-command-$line[1]:"
        case $line[1] in
            (save)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <filename>:_default' \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <filename>:_default' \
&& ret=0
;;
(restore)
_arguments "${_arguments_options[@]}" : \
'--data-dir=[Path to the data directory (default\: <name>.etcd)]:DATA_DIR:_files' \
'--wal-dir=[Path to the WAL directory (use --data-dir if none given)]:WAL_DIR:_files' \
'--name=[Human-readable name for this member]:NAME:_default' \
'--initial-cluster=[Initial cluster configuration for restore bootstrap (default\: <name>=http\://localhost\:2380)]:INITIAL_CLUSTER:_default' \
'--initial-cluster-token=[Initial cluster token for the etcd cluster during restore bootstrap]:INITIAL_CLUSTER_TOKEN:_default' \
'--initial-advertise-peer-urls=[List of this member'\''s peer URLs to advertise to the rest of the cluster]:INITIAL_ADVERTISE_PEER_URLS:_default' \
'--bump-revision=[How much to increase the latest revision after restore]:BUMP_REVISION:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'--skip-hash-check[Ignore snapshot integrity hash value (required if copied from data directory)]' \
'--mark-compacted[Mark the latest revision after restore as the point of scheduled compaction (required if --bump-revision > 0, disallowed otherwise)]' \
'-h[Print help]' \
'--help[Print help]' \
':filename -- The snapshot file:_files' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__snapshot__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-snapshot-help-command-$line[1]:"
        case $line[1] in
            (save)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(restore)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(defrag)
_arguments "${_arguments_options[@]}" : \
'--cluster=[use all endpoints from the cluster member list]::CLUSTER:_default' \
'--data-dir=[Optional. If present, defragments a data directory not in use by etcd]:DATA_DIR:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(check)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
":: :_etcdctl__subcmd__check_commands" \
"*::: :->check" \
&& ret=0

    case $state in
    (check)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-check-command-$line[1]:"
        case $line[1] in
            (perf)
_arguments "${_arguments_options[@]}" : \
'--load=[The performance check'\''s workload model. Accepted workloads\: s(small), m(medium), l(large), xl(xLarge)]:LOAD:_default' \
'--prefix=[The prefix for writing the performance check'\''s keys]:PREFIX:_default' \
'--auto-compact=[Compact storage with last revision after test is finished]::AUTO_COMPACT:_default' \
'--auto-defrag=[Defragment storage after test is finished]::AUTO_DEFRAG:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(datascale)
_arguments "${_arguments_options[@]}" : \
'--load=[The datascale check'\''s workload model. Accepted workloads\: s(small), m(medium), l(large), xl(xLarge)]:LOAD:_default' \
'--prefix=[The prefix for writing the datascale check'\''s keys]:PREFIX:_default' \
'--auto-compact=[Compact storage with last revision after test is finished]::AUTO_COMPACT:_default' \
'--auto-defrag=[Defragment storage after test is finished]::AUTO_DEFRAG:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__check__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-check-help-command-$line[1]:"
        case $line[1] in
            (perf)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(datascale)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(alarm)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
":: :_etcdctl__subcmd__alarm_commands" \
"*::: :->alarm" \
&& ret=0

    case $state in
    (alarm)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-alarm-command-$line[1]:"
        case $line[1] in
            (disarm)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- (no arguments accepted):_default' \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- (no arguments accepted):_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__alarm__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-alarm-help-command-$line[1]:"
        case $line[1] in
            (disarm)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(auth)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
":: :_etcdctl__subcmd__auth_commands" \
"*::: :->auth" \
&& ret=0

    case $state in
    (auth)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-auth-command-$line[1]:"
        case $line[1] in
            (enable)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- (no arguments accepted):_default' \
&& ret=0
;;
(disable)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- (no arguments accepted):_default' \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- (no arguments accepted):_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__auth__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-auth-help-command-$line[1]:"
        case $line[1] in
            (enable)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(disable)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(user)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
":: :_etcdctl__subcmd__user_commands" \
"*::: :->user" \
&& ret=0

    case $state in
    (user)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-user-command-$line[1]:"
        case $line[1] in
            (add)
_arguments "${_arguments_options[@]}" : \
'--interactive=[Read password from stdin instead of interactive terminal]::INTERACTIVE:_default' \
'--new-user-password=[Supply password from the command line flag]:NEW_USER_PASSWORD:_default' \
'--no-password=[Create a user without password (CN based auth only)]::NO_PASSWORD:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <user name or user\:password>:_default' \
&& ret=0
;;
(delete)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <user name>:_default' \
&& ret=0
;;
(get)
_arguments "${_arguments_options[@]}" : \
'--detail=[Show permissions of roles granted to the user]::DETAIL:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <user name>:_default' \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- (no arguments accepted):_default' \
&& ret=0
;;
(passwd)
_arguments "${_arguments_options[@]}" : \
'--interactive=[If true, read password from stdin instead of interactive terminal]::INTERACTIVE:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <user name>:_default' \
&& ret=0
;;
(grant-role)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <user name> <role name>:_default' \
&& ret=0
;;
(revoke-role)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <user name> <role name>:_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__user__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-user-help-command-$line[1]:"
        case $line[1] in
            (add)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(delete)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(get)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(passwd)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(grant-role)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(revoke-role)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(role)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
":: :_etcdctl__subcmd__role_commands" \
"*::: :->role" \
&& ret=0

    case $state in
    (role)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-role-command-$line[1]:"
        case $line[1] in
            (add)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <role name>:_default' \
&& ret=0
;;
(delete)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <role name>:_default' \
&& ret=0
;;
(get)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- <role name>:_default' \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- (no arguments accepted):_default' \
&& ret=0
;;
(grant-permission)
_arguments "${_arguments_options[@]}" : \
'--prefix=[the permission applies to a prefix]::PREFIX:_default' \
'--from-key=[the permission applies to keys greater than or equal to the given key using byte compare]::FROM_KEY:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- grant\: <role name> <permission type> <key> \[endkey\]; revoke\: <role name> <key> \[endkey\]:_default' \
&& ret=0
;;
(revoke-permission)
_arguments "${_arguments_options[@]}" : \
'--prefix=[the permission applies to a prefix]::PREFIX:_default' \
'--from-key=[the permission applies to keys greater than or equal to the given key using byte compare]::FROM_KEY:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
'*::args -- grant\: <role name> <permission type> <key> \[endkey\]; revoke\: <role name> <key> \[endkey\]:_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__role__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-role-help-command-$line[1]:"
        case $line[1] in
            (add)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(delete)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(get)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(grant-permission)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(revoke-permission)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(version)
_arguments "${_arguments_options[@]}" : \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(migrate)
_arguments "${_arguments_options[@]}" : \
'--data-dir=[Path to the data directory]:DATA_DIR:_default' \
'--wal-dir=[Path to the WAL directory]:WAL_DIR:_default' \
'--transformer=[Path to the user-provided transformer program]:TRANSFORMER:_default' \
'*--endpoints=[gRPC endpoints]:ENDPOINTS:_default' \
'--debug=[enable client-side debug logging]::DEBUG:_default' \
'-w+[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--write-out=[set the output format (fields, json, protobuf, simple, table)]:WRITE_OUT:_default' \
'--hex=[print byte strings as hex encoded strings]::HEX:_default' \
'--dial-timeout=[dial timeout for client connections]:DIAL_TIMEOUT:_default' \
'--command-timeout=[timeout for short running command (excluding dial timeout)]:COMMAND_TIMEOUT:_default' \
'--keepalive-time=[keepalive time for client connections]:KEEPALIVE_TIME:_default' \
'--keepalive-timeout=[keepalive timeout for client connections]:KEEPALIVE_TIMEOUT:_default' \
'--insecure-transport=[disable transport security for client connections]::INSECURE_TRANSPORT:_default' \
'--insecure-discovery=[accept insecure SRV records describing cluster endpoints]::INSECURE_DISCOVERY:_default' \
'--insecure-skip-tls-verify=[skip server certificate verification (CAUTION\: this option should be enabled only for testing purposes)]::INSECURE_SKIP_TLS_VERIFY:_default' \
'--cert=[identify secure client using this TLS certificate file]:CERT:_default' \
'--key=[identify secure client using this TLS key file]:KEY:_default' \
'--cacert=[verify certificates of TLS-enabled secure servers using this CA bundle]:CACERT:_default' \
'--user=[username\[\:password\] for authentication (prompt if password is not supplied)]:USER:_default' \
'--password=[password for authentication (if this option is used, --user option shouldn'\''t include password)]:PASSWORD:_default' \
'-d+[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv=[domain name to query for SRV records describing cluster endpoints]:DISCOVERY_SRV:_default' \
'--discovery-srv-name=[service name to query when using DNS discovery]:DISCOVERY_SRV_NAME:_default' \
'--no-ttl[Do not convert TTL keys]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-help-command-$line[1]:"
        case $line[1] in
            (put)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(get)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(del)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(txn)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(compaction)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(member)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__help__subcmd__member_commands" \
"*::: :->member" \
&& ret=0

    case $state in
    (member)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-help-member-command-$line[1]:"
        case $line[1] in
            (add)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(remove)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(update)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(promote)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(endpoint)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__help__subcmd__endpoint_commands" \
"*::: :->endpoint" \
&& ret=0

    case $state in
    (endpoint)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-help-endpoint-command-$line[1]:"
        case $line[1] in
            (health)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(hashkv)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(move-leader)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(watch)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(lease)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__help__subcmd__lease_commands" \
"*::: :->lease" \
&& ret=0

    case $state in
    (lease)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-help-lease-command-$line[1]:"
        case $line[1] in
            (grant)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(revoke)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(timetolive)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(keep-alive)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(lock)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(elect)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(snapshot)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__help__subcmd__snapshot_commands" \
"*::: :->snapshot" \
&& ret=0

    case $state in
    (snapshot)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-help-snapshot-command-$line[1]:"
        case $line[1] in
            (save)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(restore)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(defrag)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(check)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__help__subcmd__check_commands" \
"*::: :->check" \
&& ret=0

    case $state in
    (check)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-help-check-command-$line[1]:"
        case $line[1] in
            (perf)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(datascale)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(alarm)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__help__subcmd__alarm_commands" \
"*::: :->alarm" \
&& ret=0

    case $state in
    (alarm)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-help-alarm-command-$line[1]:"
        case $line[1] in
            (disarm)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(auth)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__help__subcmd__auth_commands" \
"*::: :->auth" \
&& ret=0

    case $state in
    (auth)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-help-auth-command-$line[1]:"
        case $line[1] in
            (enable)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(disable)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(user)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__help__subcmd__user_commands" \
"*::: :->user" \
&& ret=0

    case $state in
    (user)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-help-user-command-$line[1]:"
        case $line[1] in
            (add)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(delete)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(get)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(passwd)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(grant-role)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(revoke-role)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(role)
_arguments "${_arguments_options[@]}" : \
":: :_etcdctl__subcmd__help__subcmd__role_commands" \
"*::: :->role" \
&& ret=0

    case $state in
    (role)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:etcdctl-help-role-command-$line[1]:"
        case $line[1] in
            (add)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(delete)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(get)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(grant-permission)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(revoke-permission)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(version)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(migrate)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_etcdctl_commands] )) ||
_etcdctl_commands() {
    local commands; commands=(
'put:Puts the given key into the store' \
'get:Gets the key or a range of keys' \
'del:Removes the specified key or range of keys \[key, range_end)' \
'txn:Txn processes all the requests in one transaction' \
'compaction:Compacts the event history in etcd' \
'member:Membership related commands' \
'endpoint:Endpoint related commands' \
'move-leader:Transfers leadership to another etcd cluster member' \
'watch:Watches events stream on keys or prefixes' \
'lease:Lease related commands' \
'lock:Acquires a named lock' \
'elect:Observes and participates in leader election' \
'snapshot:Manages etcd node snapshots' \
'defrag:Defragments the storage of the etcd members with given endpoints' \
'check:commands for checking properties of the etcd cluster' \
'alarm:Alarm related commands' \
'auth:Enable or disable authentication' \
'user:User related commands' \
'role:Role related commands' \
'version:Prints the version of etcdctl' \
'migrate:Migrates keys in a v2 store to a mvcc store' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__alarm_commands] )) ||
_etcdctl__subcmd__alarm_commands() {
    local commands; commands=(
'disarm:Disarms all alarms' \
'list:Lists all alarms' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl alarm commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__alarm__subcmd__disarm_commands] )) ||
_etcdctl__subcmd__alarm__subcmd__disarm_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl alarm disarm commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__alarm__subcmd__help_commands] )) ||
_etcdctl__subcmd__alarm__subcmd__help_commands() {
    local commands; commands=(
'disarm:Disarms all alarms' \
'list:Lists all alarms' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl alarm help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__alarm__subcmd__help__subcmd__disarm_commands] )) ||
_etcdctl__subcmd__alarm__subcmd__help__subcmd__disarm_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl alarm help disarm commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__alarm__subcmd__help__subcmd__help_commands] )) ||
_etcdctl__subcmd__alarm__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl alarm help help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__alarm__subcmd__help__subcmd__list_commands] )) ||
_etcdctl__subcmd__alarm__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl alarm help list commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__alarm__subcmd__list_commands] )) ||
_etcdctl__subcmd__alarm__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl alarm list commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__auth_commands] )) ||
_etcdctl__subcmd__auth_commands() {
    local commands; commands=(
'enable:Enables authentication' \
'disable:Disables authentication' \
'status:Returns authentication status (etcdctl 3.5 extension)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl auth commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__auth__subcmd__disable_commands] )) ||
_etcdctl__subcmd__auth__subcmd__disable_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl auth disable commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__auth__subcmd__enable_commands] )) ||
_etcdctl__subcmd__auth__subcmd__enable_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl auth enable commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__auth__subcmd__help_commands] )) ||
_etcdctl__subcmd__auth__subcmd__help_commands() {
    local commands; commands=(
'enable:Enables authentication' \
'disable:Disables authentication' \
'status:Returns authentication status (etcdctl 3.5 extension)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl auth help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__auth__subcmd__help__subcmd__disable_commands] )) ||
_etcdctl__subcmd__auth__subcmd__help__subcmd__disable_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl auth help disable commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__auth__subcmd__help__subcmd__enable_commands] )) ||
_etcdctl__subcmd__auth__subcmd__help__subcmd__enable_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl auth help enable commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__auth__subcmd__help__subcmd__help_commands] )) ||
_etcdctl__subcmd__auth__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl auth help help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__auth__subcmd__help__subcmd__status_commands] )) ||
_etcdctl__subcmd__auth__subcmd__help__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl auth help status commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__auth__subcmd__status_commands] )) ||
_etcdctl__subcmd__auth__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl auth status commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__check_commands] )) ||
_etcdctl__subcmd__check_commands() {
    local commands; commands=(
'perf:Check the performance of the etcd cluster' \
'datascale:Check the memory usage of holding data for different workloads on a given server endpoint' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl check commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__check__subcmd__datascale_commands] )) ||
_etcdctl__subcmd__check__subcmd__datascale_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl check datascale commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__check__subcmd__help_commands] )) ||
_etcdctl__subcmd__check__subcmd__help_commands() {
    local commands; commands=(
'perf:Check the performance of the etcd cluster' \
'datascale:Check the memory usage of holding data for different workloads on a given server endpoint' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl check help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__check__subcmd__help__subcmd__datascale_commands] )) ||
_etcdctl__subcmd__check__subcmd__help__subcmd__datascale_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl check help datascale commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__check__subcmd__help__subcmd__help_commands] )) ||
_etcdctl__subcmd__check__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl check help help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__check__subcmd__help__subcmd__perf_commands] )) ||
_etcdctl__subcmd__check__subcmd__help__subcmd__perf_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl check help perf commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__check__subcmd__perf_commands] )) ||
_etcdctl__subcmd__check__subcmd__perf_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl check perf commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__compaction_commands] )) ||
_etcdctl__subcmd__compaction_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl compaction commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__defrag_commands] )) ||
_etcdctl__subcmd__defrag_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl defrag commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__del_commands] )) ||
_etcdctl__subcmd__del_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl del commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__elect_commands] )) ||
_etcdctl__subcmd__elect_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl elect commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__endpoint_commands] )) ||
_etcdctl__subcmd__endpoint_commands() {
    local commands; commands=(
'health:Checks the healthiness of endpoints specified in \`--endpoints\` flag' \
'status:Prints out the status of endpoints specified in \`--endpoints\` flag' \
'hashkv:Prints the KV history hash for each endpoint in --endpoints' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl endpoint commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__endpoint__subcmd__hashkv_commands] )) ||
_etcdctl__subcmd__endpoint__subcmd__hashkv_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl endpoint hashkv commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__endpoint__subcmd__health_commands] )) ||
_etcdctl__subcmd__endpoint__subcmd__health_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl endpoint health commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__endpoint__subcmd__help_commands] )) ||
_etcdctl__subcmd__endpoint__subcmd__help_commands() {
    local commands; commands=(
'health:Checks the healthiness of endpoints specified in \`--endpoints\` flag' \
'status:Prints out the status of endpoints specified in \`--endpoints\` flag' \
'hashkv:Prints the KV history hash for each endpoint in --endpoints' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl endpoint help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__endpoint__subcmd__help__subcmd__hashkv_commands] )) ||
_etcdctl__subcmd__endpoint__subcmd__help__subcmd__hashkv_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl endpoint help hashkv commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__endpoint__subcmd__help__subcmd__health_commands] )) ||
_etcdctl__subcmd__endpoint__subcmd__help__subcmd__health_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl endpoint help health commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__endpoint__subcmd__help__subcmd__help_commands] )) ||
_etcdctl__subcmd__endpoint__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl endpoint help help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__endpoint__subcmd__help__subcmd__status_commands] )) ||
_etcdctl__subcmd__endpoint__subcmd__help__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl endpoint help status commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__endpoint__subcmd__status_commands] )) ||
_etcdctl__subcmd__endpoint__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl endpoint status commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__get_commands] )) ||
_etcdctl__subcmd__get_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl get commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help_commands] )) ||
_etcdctl__subcmd__help_commands() {
    local commands; commands=(
'put:Puts the given key into the store' \
'get:Gets the key or a range of keys' \
'del:Removes the specified key or range of keys \[key, range_end)' \
'txn:Txn processes all the requests in one transaction' \
'compaction:Compacts the event history in etcd' \
'member:Membership related commands' \
'endpoint:Endpoint related commands' \
'move-leader:Transfers leadership to another etcd cluster member' \
'watch:Watches events stream on keys or prefixes' \
'lease:Lease related commands' \
'lock:Acquires a named lock' \
'elect:Observes and participates in leader election' \
'snapshot:Manages etcd node snapshots' \
'defrag:Defragments the storage of the etcd members with given endpoints' \
'check:commands for checking properties of the etcd cluster' \
'alarm:Alarm related commands' \
'auth:Enable or disable authentication' \
'user:User related commands' \
'role:Role related commands' \
'version:Prints the version of etcdctl' \
'migrate:Migrates keys in a v2 store to a mvcc store' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__alarm_commands] )) ||
_etcdctl__subcmd__help__subcmd__alarm_commands() {
    local commands; commands=(
'disarm:Disarms all alarms' \
'list:Lists all alarms' \
    )
    _describe -t commands 'etcdctl help alarm commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__alarm__subcmd__disarm_commands] )) ||
_etcdctl__subcmd__help__subcmd__alarm__subcmd__disarm_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help alarm disarm commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__alarm__subcmd__list_commands] )) ||
_etcdctl__subcmd__help__subcmd__alarm__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help alarm list commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__auth_commands] )) ||
_etcdctl__subcmd__help__subcmd__auth_commands() {
    local commands; commands=(
'enable:Enables authentication' \
'disable:Disables authentication' \
'status:Returns authentication status (etcdctl 3.5 extension)' \
    )
    _describe -t commands 'etcdctl help auth commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__auth__subcmd__disable_commands] )) ||
_etcdctl__subcmd__help__subcmd__auth__subcmd__disable_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help auth disable commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__auth__subcmd__enable_commands] )) ||
_etcdctl__subcmd__help__subcmd__auth__subcmd__enable_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help auth enable commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__auth__subcmd__status_commands] )) ||
_etcdctl__subcmd__help__subcmd__auth__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help auth status commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__check_commands] )) ||
_etcdctl__subcmd__help__subcmd__check_commands() {
    local commands; commands=(
'perf:Check the performance of the etcd cluster' \
'datascale:Check the memory usage of holding data for different workloads on a given server endpoint' \
    )
    _describe -t commands 'etcdctl help check commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__check__subcmd__datascale_commands] )) ||
_etcdctl__subcmd__help__subcmd__check__subcmd__datascale_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help check datascale commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__check__subcmd__perf_commands] )) ||
_etcdctl__subcmd__help__subcmd__check__subcmd__perf_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help check perf commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__compaction_commands] )) ||
_etcdctl__subcmd__help__subcmd__compaction_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help compaction commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__defrag_commands] )) ||
_etcdctl__subcmd__help__subcmd__defrag_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help defrag commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__del_commands] )) ||
_etcdctl__subcmd__help__subcmd__del_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help del commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__elect_commands] )) ||
_etcdctl__subcmd__help__subcmd__elect_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help elect commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__endpoint_commands] )) ||
_etcdctl__subcmd__help__subcmd__endpoint_commands() {
    local commands; commands=(
'health:Checks the healthiness of endpoints specified in \`--endpoints\` flag' \
'status:Prints out the status of endpoints specified in \`--endpoints\` flag' \
'hashkv:Prints the KV history hash for each endpoint in --endpoints' \
    )
    _describe -t commands 'etcdctl help endpoint commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__endpoint__subcmd__hashkv_commands] )) ||
_etcdctl__subcmd__help__subcmd__endpoint__subcmd__hashkv_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help endpoint hashkv commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__endpoint__subcmd__health_commands] )) ||
_etcdctl__subcmd__help__subcmd__endpoint__subcmd__health_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help endpoint health commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__endpoint__subcmd__status_commands] )) ||
_etcdctl__subcmd__help__subcmd__endpoint__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help endpoint status commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__get_commands] )) ||
_etcdctl__subcmd__help__subcmd__get_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help get commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__help_commands] )) ||
_etcdctl__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__lease_commands] )) ||
_etcdctl__subcmd__help__subcmd__lease_commands() {
    local commands; commands=(
'grant:Creates leases' \
'revoke:Revokes leases' \
'timetolive:Get lease information' \
'list:List all active leases' \
'keep-alive:Keeps leases alive (renew)' \
    )
    _describe -t commands 'etcdctl help lease commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__lease__subcmd__grant_commands] )) ||
_etcdctl__subcmd__help__subcmd__lease__subcmd__grant_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help lease grant commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__lease__subcmd__keep-alive_commands] )) ||
_etcdctl__subcmd__help__subcmd__lease__subcmd__keep-alive_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help lease keep-alive commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__lease__subcmd__list_commands] )) ||
_etcdctl__subcmd__help__subcmd__lease__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help lease list commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__lease__subcmd__revoke_commands] )) ||
_etcdctl__subcmd__help__subcmd__lease__subcmd__revoke_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help lease revoke commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__lease__subcmd__timetolive_commands] )) ||
_etcdctl__subcmd__help__subcmd__lease__subcmd__timetolive_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help lease timetolive commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__lock_commands] )) ||
_etcdctl__subcmd__help__subcmd__lock_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help lock commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__member_commands] )) ||
_etcdctl__subcmd__help__subcmd__member_commands() {
    local commands; commands=(
'add:Adds a member into the cluster' \
'remove:Removes a member from the cluster' \
'update:Updates a member in the cluster' \
'list:Lists all members in the cluster' \
'promote:Promotes a non-voting member in the cluster' \
    )
    _describe -t commands 'etcdctl help member commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__member__subcmd__add_commands] )) ||
_etcdctl__subcmd__help__subcmd__member__subcmd__add_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help member add commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__member__subcmd__list_commands] )) ||
_etcdctl__subcmd__help__subcmd__member__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help member list commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__member__subcmd__promote_commands] )) ||
_etcdctl__subcmd__help__subcmd__member__subcmd__promote_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help member promote commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__member__subcmd__remove_commands] )) ||
_etcdctl__subcmd__help__subcmd__member__subcmd__remove_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help member remove commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__member__subcmd__update_commands] )) ||
_etcdctl__subcmd__help__subcmd__member__subcmd__update_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help member update commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__migrate_commands] )) ||
_etcdctl__subcmd__help__subcmd__migrate_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help migrate commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__move-leader_commands] )) ||
_etcdctl__subcmd__help__subcmd__move-leader_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help move-leader commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__put_commands] )) ||
_etcdctl__subcmd__help__subcmd__put_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help put commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__role_commands] )) ||
_etcdctl__subcmd__help__subcmd__role_commands() {
    local commands; commands=(
'add:Adds a new role' \
'delete:Deletes a role' \
'get:Gets detailed information of a role' \
'list:Lists all roles' \
'grant-permission:Grants a key to a role' \
'revoke-permission:Revokes a key from a role' \
    )
    _describe -t commands 'etcdctl help role commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__role__subcmd__add_commands] )) ||
_etcdctl__subcmd__help__subcmd__role__subcmd__add_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help role add commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__role__subcmd__delete_commands] )) ||
_etcdctl__subcmd__help__subcmd__role__subcmd__delete_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help role delete commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__role__subcmd__get_commands] )) ||
_etcdctl__subcmd__help__subcmd__role__subcmd__get_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help role get commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__role__subcmd__grant-permission_commands] )) ||
_etcdctl__subcmd__help__subcmd__role__subcmd__grant-permission_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help role grant-permission commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__role__subcmd__list_commands] )) ||
_etcdctl__subcmd__help__subcmd__role__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help role list commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__role__subcmd__revoke-permission_commands] )) ||
_etcdctl__subcmd__help__subcmd__role__subcmd__revoke-permission_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help role revoke-permission commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__snapshot_commands] )) ||
_etcdctl__subcmd__help__subcmd__snapshot_commands() {
    local commands; commands=(
'save:Stores an etcd node backend snapshot to a given file' \
'status:Gets backend snapshot status of a given file' \
'restore:Restores an etcd member snapshot to an etcd directory' \
    )
    _describe -t commands 'etcdctl help snapshot commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__snapshot__subcmd__restore_commands] )) ||
_etcdctl__subcmd__help__subcmd__snapshot__subcmd__restore_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help snapshot restore commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__snapshot__subcmd__save_commands] )) ||
_etcdctl__subcmd__help__subcmd__snapshot__subcmd__save_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help snapshot save commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__snapshot__subcmd__status_commands] )) ||
_etcdctl__subcmd__help__subcmd__snapshot__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help snapshot status commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__txn_commands] )) ||
_etcdctl__subcmd__help__subcmd__txn_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help txn commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__user_commands] )) ||
_etcdctl__subcmd__help__subcmd__user_commands() {
    local commands; commands=(
'add:Adds a new user' \
'delete:Deletes a user' \
'get:Gets detailed information of a user' \
'list:Lists all users' \
'passwd:Changes password of user' \
'grant-role:Grants a role to a user' \
'revoke-role:Revokes a role from a user' \
    )
    _describe -t commands 'etcdctl help user commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__user__subcmd__add_commands] )) ||
_etcdctl__subcmd__help__subcmd__user__subcmd__add_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help user add commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__user__subcmd__delete_commands] )) ||
_etcdctl__subcmd__help__subcmd__user__subcmd__delete_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help user delete commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__user__subcmd__get_commands] )) ||
_etcdctl__subcmd__help__subcmd__user__subcmd__get_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help user get commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__user__subcmd__grant-role_commands] )) ||
_etcdctl__subcmd__help__subcmd__user__subcmd__grant-role_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help user grant-role commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__user__subcmd__list_commands] )) ||
_etcdctl__subcmd__help__subcmd__user__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help user list commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__user__subcmd__passwd_commands] )) ||
_etcdctl__subcmd__help__subcmd__user__subcmd__passwd_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help user passwd commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__user__subcmd__revoke-role_commands] )) ||
_etcdctl__subcmd__help__subcmd__user__subcmd__revoke-role_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help user revoke-role commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__version_commands] )) ||
_etcdctl__subcmd__help__subcmd__version_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help version commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__help__subcmd__watch_commands] )) ||
_etcdctl__subcmd__help__subcmd__watch_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl help watch commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__lease_commands] )) ||
_etcdctl__subcmd__lease_commands() {
    local commands; commands=(
'grant:Creates leases' \
'revoke:Revokes leases' \
'timetolive:Get lease information' \
'list:List all active leases' \
'keep-alive:Keeps leases alive (renew)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl lease commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__lease__subcmd__grant_commands] )) ||
_etcdctl__subcmd__lease__subcmd__grant_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl lease grant commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__lease__subcmd__help_commands] )) ||
_etcdctl__subcmd__lease__subcmd__help_commands() {
    local commands; commands=(
'grant:Creates leases' \
'revoke:Revokes leases' \
'timetolive:Get lease information' \
'list:List all active leases' \
'keep-alive:Keeps leases alive (renew)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl lease help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__lease__subcmd__help__subcmd__grant_commands] )) ||
_etcdctl__subcmd__lease__subcmd__help__subcmd__grant_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl lease help grant commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__lease__subcmd__help__subcmd__help_commands] )) ||
_etcdctl__subcmd__lease__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl lease help help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__lease__subcmd__help__subcmd__keep-alive_commands] )) ||
_etcdctl__subcmd__lease__subcmd__help__subcmd__keep-alive_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl lease help keep-alive commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__lease__subcmd__help__subcmd__list_commands] )) ||
_etcdctl__subcmd__lease__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl lease help list commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__lease__subcmd__help__subcmd__revoke_commands] )) ||
_etcdctl__subcmd__lease__subcmd__help__subcmd__revoke_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl lease help revoke commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__lease__subcmd__help__subcmd__timetolive_commands] )) ||
_etcdctl__subcmd__lease__subcmd__help__subcmd__timetolive_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl lease help timetolive commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__lease__subcmd__keep-alive_commands] )) ||
_etcdctl__subcmd__lease__subcmd__keep-alive_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl lease keep-alive commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__lease__subcmd__list_commands] )) ||
_etcdctl__subcmd__lease__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl lease list commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__lease__subcmd__revoke_commands] )) ||
_etcdctl__subcmd__lease__subcmd__revoke_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl lease revoke commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__lease__subcmd__timetolive_commands] )) ||
_etcdctl__subcmd__lease__subcmd__timetolive_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl lease timetolive commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__lock_commands] )) ||
_etcdctl__subcmd__lock_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl lock commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__member_commands] )) ||
_etcdctl__subcmd__member_commands() {
    local commands; commands=(
'add:Adds a member into the cluster' \
'remove:Removes a member from the cluster' \
'update:Updates a member in the cluster' \
'list:Lists all members in the cluster' \
'promote:Promotes a non-voting member in the cluster' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl member commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__member__subcmd__add_commands] )) ||
_etcdctl__subcmd__member__subcmd__add_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl member add commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__member__subcmd__help_commands] )) ||
_etcdctl__subcmd__member__subcmd__help_commands() {
    local commands; commands=(
'add:Adds a member into the cluster' \
'remove:Removes a member from the cluster' \
'update:Updates a member in the cluster' \
'list:Lists all members in the cluster' \
'promote:Promotes a non-voting member in the cluster' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl member help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__member__subcmd__help__subcmd__add_commands] )) ||
_etcdctl__subcmd__member__subcmd__help__subcmd__add_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl member help add commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__member__subcmd__help__subcmd__help_commands] )) ||
_etcdctl__subcmd__member__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl member help help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__member__subcmd__help__subcmd__list_commands] )) ||
_etcdctl__subcmd__member__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl member help list commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__member__subcmd__help__subcmd__promote_commands] )) ||
_etcdctl__subcmd__member__subcmd__help__subcmd__promote_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl member help promote commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__member__subcmd__help__subcmd__remove_commands] )) ||
_etcdctl__subcmd__member__subcmd__help__subcmd__remove_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl member help remove commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__member__subcmd__help__subcmd__update_commands] )) ||
_etcdctl__subcmd__member__subcmd__help__subcmd__update_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl member help update commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__member__subcmd__list_commands] )) ||
_etcdctl__subcmd__member__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl member list commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__member__subcmd__promote_commands] )) ||
_etcdctl__subcmd__member__subcmd__promote_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl member promote commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__member__subcmd__remove_commands] )) ||
_etcdctl__subcmd__member__subcmd__remove_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl member remove commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__member__subcmd__update_commands] )) ||
_etcdctl__subcmd__member__subcmd__update_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl member update commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__migrate_commands] )) ||
_etcdctl__subcmd__migrate_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl migrate commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__move-leader_commands] )) ||
_etcdctl__subcmd__move-leader_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl move-leader commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__put_commands] )) ||
_etcdctl__subcmd__put_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl put commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__role_commands] )) ||
_etcdctl__subcmd__role_commands() {
    local commands; commands=(
'add:Adds a new role' \
'delete:Deletes a role' \
'get:Gets detailed information of a role' \
'list:Lists all roles' \
'grant-permission:Grants a key to a role' \
'revoke-permission:Revokes a key from a role' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl role commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__role__subcmd__add_commands] )) ||
_etcdctl__subcmd__role__subcmd__add_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl role add commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__role__subcmd__delete_commands] )) ||
_etcdctl__subcmd__role__subcmd__delete_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl role delete commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__role__subcmd__get_commands] )) ||
_etcdctl__subcmd__role__subcmd__get_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl role get commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__role__subcmd__grant-permission_commands] )) ||
_etcdctl__subcmd__role__subcmd__grant-permission_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl role grant-permission commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__role__subcmd__help_commands] )) ||
_etcdctl__subcmd__role__subcmd__help_commands() {
    local commands; commands=(
'add:Adds a new role' \
'delete:Deletes a role' \
'get:Gets detailed information of a role' \
'list:Lists all roles' \
'grant-permission:Grants a key to a role' \
'revoke-permission:Revokes a key from a role' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl role help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__role__subcmd__help__subcmd__add_commands] )) ||
_etcdctl__subcmd__role__subcmd__help__subcmd__add_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl role help add commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__role__subcmd__help__subcmd__delete_commands] )) ||
_etcdctl__subcmd__role__subcmd__help__subcmd__delete_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl role help delete commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__role__subcmd__help__subcmd__get_commands] )) ||
_etcdctl__subcmd__role__subcmd__help__subcmd__get_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl role help get commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__role__subcmd__help__subcmd__grant-permission_commands] )) ||
_etcdctl__subcmd__role__subcmd__help__subcmd__grant-permission_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl role help grant-permission commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__role__subcmd__help__subcmd__help_commands] )) ||
_etcdctl__subcmd__role__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl role help help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__role__subcmd__help__subcmd__list_commands] )) ||
_etcdctl__subcmd__role__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl role help list commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__role__subcmd__help__subcmd__revoke-permission_commands] )) ||
_etcdctl__subcmd__role__subcmd__help__subcmd__revoke-permission_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl role help revoke-permission commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__role__subcmd__list_commands] )) ||
_etcdctl__subcmd__role__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl role list commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__role__subcmd__revoke-permission_commands] )) ||
_etcdctl__subcmd__role__subcmd__revoke-permission_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl role revoke-permission commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__snapshot_commands] )) ||
_etcdctl__subcmd__snapshot_commands() {
    local commands; commands=(
'save:Stores an etcd node backend snapshot to a given file' \
'status:Gets backend snapshot status of a given file' \
'restore:Restores an etcd member snapshot to an etcd directory' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl snapshot commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__snapshot__subcmd__help_commands] )) ||
_etcdctl__subcmd__snapshot__subcmd__help_commands() {
    local commands; commands=(
'save:Stores an etcd node backend snapshot to a given file' \
'status:Gets backend snapshot status of a given file' \
'restore:Restores an etcd member snapshot to an etcd directory' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl snapshot help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__snapshot__subcmd__help__subcmd__help_commands] )) ||
_etcdctl__subcmd__snapshot__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl snapshot help help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__snapshot__subcmd__help__subcmd__restore_commands] )) ||
_etcdctl__subcmd__snapshot__subcmd__help__subcmd__restore_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl snapshot help restore commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__snapshot__subcmd__help__subcmd__save_commands] )) ||
_etcdctl__subcmd__snapshot__subcmd__help__subcmd__save_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl snapshot help save commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__snapshot__subcmd__help__subcmd__status_commands] )) ||
_etcdctl__subcmd__snapshot__subcmd__help__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl snapshot help status commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__snapshot__subcmd__restore_commands] )) ||
_etcdctl__subcmd__snapshot__subcmd__restore_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl snapshot restore commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__snapshot__subcmd__save_commands] )) ||
_etcdctl__subcmd__snapshot__subcmd__save_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl snapshot save commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__snapshot__subcmd__status_commands] )) ||
_etcdctl__subcmd__snapshot__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl snapshot status commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__txn_commands] )) ||
_etcdctl__subcmd__txn_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl txn commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user_commands] )) ||
_etcdctl__subcmd__user_commands() {
    local commands; commands=(
'add:Adds a new user' \
'delete:Deletes a user' \
'get:Gets detailed information of a user' \
'list:Lists all users' \
'passwd:Changes password of user' \
'grant-role:Grants a role to a user' \
'revoke-role:Revokes a role from a user' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl user commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__add_commands] )) ||
_etcdctl__subcmd__user__subcmd__add_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl user add commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__delete_commands] )) ||
_etcdctl__subcmd__user__subcmd__delete_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl user delete commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__get_commands] )) ||
_etcdctl__subcmd__user__subcmd__get_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl user get commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__grant-role_commands] )) ||
_etcdctl__subcmd__user__subcmd__grant-role_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl user grant-role commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__help_commands] )) ||
_etcdctl__subcmd__user__subcmd__help_commands() {
    local commands; commands=(
'add:Adds a new user' \
'delete:Deletes a user' \
'get:Gets detailed information of a user' \
'list:Lists all users' \
'passwd:Changes password of user' \
'grant-role:Grants a role to a user' \
'revoke-role:Revokes a role from a user' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'etcdctl user help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__help__subcmd__add_commands] )) ||
_etcdctl__subcmd__user__subcmd__help__subcmd__add_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl user help add commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__help__subcmd__delete_commands] )) ||
_etcdctl__subcmd__user__subcmd__help__subcmd__delete_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl user help delete commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__help__subcmd__get_commands] )) ||
_etcdctl__subcmd__user__subcmd__help__subcmd__get_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl user help get commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__help__subcmd__grant-role_commands] )) ||
_etcdctl__subcmd__user__subcmd__help__subcmd__grant-role_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl user help grant-role commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__help__subcmd__help_commands] )) ||
_etcdctl__subcmd__user__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl user help help commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__help__subcmd__list_commands] )) ||
_etcdctl__subcmd__user__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl user help list commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__help__subcmd__passwd_commands] )) ||
_etcdctl__subcmd__user__subcmd__help__subcmd__passwd_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl user help passwd commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__help__subcmd__revoke-role_commands] )) ||
_etcdctl__subcmd__user__subcmd__help__subcmd__revoke-role_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl user help revoke-role commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__list_commands] )) ||
_etcdctl__subcmd__user__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl user list commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__passwd_commands] )) ||
_etcdctl__subcmd__user__subcmd__passwd_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl user passwd commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__user__subcmd__revoke-role_commands] )) ||
_etcdctl__subcmd__user__subcmd__revoke-role_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl user revoke-role commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__version_commands] )) ||
_etcdctl__subcmd__version_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl version commands' commands "$@"
}
(( $+functions[_etcdctl__subcmd__watch_commands] )) ||
_etcdctl__subcmd__watch_commands() {
    local commands; commands=()
    _describe -t commands 'etcdctl watch commands' commands "$@"
}

if [ "$funcstack[1]" = "_etcdctl" ]; then
    _etcdctl "$@"
else
    compdef _etcdctl etcdctl
fi
