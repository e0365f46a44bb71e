# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_etcd_certs_global_optspecs
    string join \n h/help
end

function __fish_etcd_certs_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_etcd_certs_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_etcd_certs_using_subcommand
    set -l cmd (__fish_etcd_certs_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c etcd-certs -n "__fish_etcd_certs_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c etcd-certs -n "__fish_etcd_certs_needs_command" -f -a "gencert" -d 'Generate a key and a certificate: a self-signed CA (-initca) or one signed by -ca/-ca-key'
complete -c etcd-certs -n "__fish_etcd_certs_needs_command" -f -a "genkey" -d 'Generate a key and a certificate request (with -initca: a self-signed CA)'
complete -c etcd-certs -n "__fish_etcd_certs_needs_command" -f -a "print-defaults" -d 'Print cfssl 1.2.0\'s default documents: config (ca-config.json) or csr (ca-csr.json); list (or any other word) lists them'
complete -c etcd-certs -n "__fish_etcd_certs_needs_command" -f -a "version" -d 'Print the cfssl version this command line follows (as `cfssl version`)'
complete -c etcd-certs -n "__fish_etcd_certs_needs_command" -f -a "certinfo" -d 'Describe a certificate as cfssl\'s certinfo JSON'
complete -c etcd-certs -n "__fish_etcd_certs_needs_command" -f -a "init" -d 'Write a CA plus server, peer and client certificates for a whole cluster'
complete -c etcd-certs -n "__fish_etcd_certs_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand gencert" -l ca -d 'CA certificate (PEM) that signs' -r
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand gencert" -l ca-key -d 'CA private key (PEM: EC, RSA or PKCS#8)' -r
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand gencert" -l config -d 'Signing configuration JSON (signing.default, signing.profiles)' -r
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand gencert" -l profile -d 'Signing profile in -config' -r
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand gencert" -l hostname -d 'Comma-separated SANs, replacing the request\'s hosts' -r
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand gencert" -l bare -d 'Write NAME.pem, NAME-key.pem and NAME.csr (as `| cfssljson -bare NAME`) instead of printing JSON' -r
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand gencert" -l initca -d 'Make a self-signed CA (43800h unless ca.expiry)'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand gencert" -s h -l help -d 'Print help'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand genkey" -l bare -d 'Write NAME.pem, NAME-key.pem and NAME.csr (as `| cfssljson -bare NAME`) instead of printing JSON' -r
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand genkey" -l initca -d 'Make a self-signed CA'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand genkey" -s h -l help -d 'Print help'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand print-defaults" -s h -l help -d 'Print help'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand version" -s h -l help -d 'Print help'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand certinfo" -l cert -d 'Certificate (PEM or DER), or - for standard input' -r
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand certinfo" -s h -l help -d 'Print help'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand init" -l hosts -d 'Comma-separated host names and IPs of the members' -r
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand init" -l members -d 'Member names: one peer certificate each' -r
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand init" -l dir -d 'Output directory (created if missing)' -r
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand init" -l client-cn -d 'Common name of the client certificate (the etcd user with --client-cert-auth)' -r
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand init" -l expiry -d 'Validity of the leaf certificates, as a Go duration' -r
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand init" -l key-algo -d 'Key algorithm: ecdsa or rsa' -r
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand init" -l key-size -d 'Key size (0: 256 for ecdsa, 2048 for rsa)' -r
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand init" -l force -d 'Overwrite existing files'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand help; and not __fish_seen_subcommand_from gencert genkey print-defaults version certinfo init help" -f -a "gencert" -d 'Generate a key and a certificate: a self-signed CA (-initca) or one signed by -ca/-ca-key'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand help; and not __fish_seen_subcommand_from gencert genkey print-defaults version certinfo init help" -f -a "genkey" -d 'Generate a key and a certificate request (with -initca: a self-signed CA)'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand help; and not __fish_seen_subcommand_from gencert genkey print-defaults version certinfo init help" -f -a "print-defaults" -d 'Print cfssl 1.2.0\'s default documents: config (ca-config.json) or csr (ca-csr.json); list (or any other word) lists them'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand help; and not __fish_seen_subcommand_from gencert genkey print-defaults version certinfo init help" -f -a "version" -d 'Print the cfssl version this command line follows (as `cfssl version`)'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand help; and not __fish_seen_subcommand_from gencert genkey print-defaults version certinfo init help" -f -a "certinfo" -d 'Describe a certificate as cfssl\'s certinfo JSON'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand help; and not __fish_seen_subcommand_from gencert genkey print-defaults version certinfo init help" -f -a "init" -d 'Write a CA plus server, peer and client certificates for a whole cluster'
complete -c etcd-certs -n "__fish_etcd_certs_using_subcommand help; and not __fish_seen_subcommand_from gencert genkey print-defaults version certinfo init help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
