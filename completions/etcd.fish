complete -c etcd -l name -d 'Human-readable name for this member' -r
complete -c etcd -l data-dir -d 'Path to the data directory [default: ${name}.etcd]' -r -F
complete -c etcd -l listen-client-urls -d 'List of URLs to listen on for client traffic' -r
complete -c etcd -l advertise-client-urls -d 'List of this member\'s client URLs to advertise to the public' -r
complete -c etcd -l listen-peer-urls -d 'List of URLs to listen on for peer traffic' -r
complete -c etcd -l initial-advertise-peer-urls -d 'List of this member\'s peer URLs to advertise to the rest of the cluster' -r
complete -c etcd -l initial-cluster -d 'Initial cluster configuration for bootstrapping [default: ${name}=${initial-advertise-peer-urls}]' -r
complete -c etcd -l initial-cluster-state -d 'Initial cluster state (\'new\' or \'existing\')' -r
complete -c etcd -l initial-cluster-token -d 'Initial cluster token for the etcd cluster during bootstrap' -r
complete -c etcd -l heartbeat-interval -d 'Time (in milliseconds) of a heartbeat interval' -r
complete -c etcd -l election-timeout -d 'Time (in milliseconds) for an election to timeout' -r
complete -c etcd -l snapshot-count -d 'Number of committed transactions to trigger a snapshot to disk' -r
complete -c etcd -l quota-backend-bytes -d 'Raise alarms when backend size exceeds the given quota (0 defaults to low space quota)' -r
complete -c etcd -l max-request-bytes -d 'Maximum client request size in bytes the server will accept' -r
complete -c etcd -l max-txn-ops -d 'Maximum number of operations permitted in a transaction' -r
complete -c etcd -l log-level -d 'Configures log level. Only supports debug, info, warn, error, panic, or fatal' -r
complete -c etcd -l watch-progress-notify-interval -d 'Duration of periodic watch progress notifications (e.g. 10m, 5s, 100ms)' -r
complete -c etcd -l auth-token -d 'Specify auth token type and options: \'simple\' or \'jwt,pub-key=...,priv-key=...,sign-method=...\'' -r
complete -c etcd -l auth-token-ttl -d 'The lifetime in seconds of the auth token' -r
complete -c etcd -l bcrypt-cost -d 'Specify bcrypt algorithm cost factor for auth password hashing' -r
complete -c etcd -l version -d 'Print the version and exit'
complete -c etcd -s h -l help -d 'Print help'
