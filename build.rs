//! Compiles `proto/` into Rust with tonic/prost. protoc comes from the
//! `protoc-bin-vendored` crate, so a fresh machine needs no system protoc. Also writes
//! `$OUT_DIR/etcd_descriptor_set.bin` (the file descriptor set) for the JSON gateway.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // SAFETY-free: build scripts are single-threaded, setting PROTOC is the documented way.
    std::env::set_var("PROTOC", protoc);
    let protos = [
        "proto/etcd/mvccpb/kv.proto",
        "proto/etcd/authpb/auth.proto",
        "proto/etcd/etcdserverpb/rpc.proto",
        "proto/etcd/v3lockpb/v3lock.proto",
        "proto/etcd/v3electionpb/v3election.proto",
        "proto/peer/raft_internal.proto",
        "proto/peer/peer.proto",
        "proto/etcd/etcdserverpb/etcdserver.proto",
        "proto/etcd/raftpb/raft.proto",
        "proto/etcd/walpb/record.proto",
        "proto/etcd/snappb/snap.proto",
    ];
    // The descriptor set of every compiled file, for the JSON gateway's proto3 JSON mapping
    // (v3rpc/gateway.rs, through prost-reflect).
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("etcd_descriptor_set.bin"))
        .type_attribute(".", "#[derive(serde::Serialize, serde::Deserialize)]")
        .generate_default_stubs(true)
        .compile_protos(&protos, &["proto"])?;
    for p in protos {
        println!("cargo:rerun-if-changed={p}");
    }
    Ok(())
}
