/**
 * The daemon.json keys dockerd knows, with the JSON type each must have, and the dockerd flags that set
 * them. Sources: the "Daemon configuration file" section of the dockerd reference
 * (docs.docker.com/reference/cli/dockerd/) and its full Linux example. Keys that older releases
 * accepted are kept (a host on Docker 20.10 may still use `graph` or `cluster-store`): calling them
 * unknown would be a false positive on exactly the hosts a benchmark is run on.
 */

export type DaemonKeyType =
  | "bool"
  | "string"
  | "string[]"
  | "int"
  | "object"
  /** object whose values are all strings (log-opts, default-network-opts.*) */
  | "string-map"
  | "object[]";

export const DAEMON_KEY_TYPES: Readonly<Record<string, DaemonKeyType>> = {
  "allow-direct-routing": "bool",
  "allow-nondistributable-artifacts": "string[]",
  "api-cors-header": "string",
  "authorization-plugins": "string[]",
  bip: "string",
  bip6: "string",
  bridge: "string",
  builder: "object",
  "cdi-spec-dirs": "string[]",
  "cgroup-parent": "string",
  "cluster-advertise": "string",
  "cluster-store": "string",
  "cluster-store-opts": "string-map",
  containerd: "string",
  "containerd-namespace": "string",
  "containerd-plugins-namespace": "string",
  "cpu-rt-period": "int",
  "cpu-rt-runtime": "int",
  "data-root": "string",
  debug: "bool",
  "default-address-pools": "object[]",
  "default-cgroupns-mode": "string",
  "default-gateway": "string",
  "default-gateway-v6": "string",
  "default-ipc-mode": "string",
  "default-network-opts": "object",
  "default-runtime": "string",
  "default-shm-size": "string",
  "default-ulimits": "object",
  "disable-legacy-registry": "bool",
  dns: "string[]",
  "dns-opts": "string[]",
  "dns-search": "string[]",
  "exec-opts": "string[]",
  "exec-root": "string",
  experimental: "bool",
  features: "object",
  "firewall-backend": "string",
  "fixed-cidr": "string",
  "fixed-cidr-v6": "string",
  graph: "string",
  group: "string",
  "host-gateway-ip": "string",
  "host-gateway-ips": "string[]",
  hosts: "string[]",
  "http-proxy": "string",
  "https-proxy": "string",
  icc: "bool",
  init: "bool",
  "init-path": "string",
  "insecure-registries": "string[]",
  ip: "string",
  "ip-forward": "bool",
  "ip-forward-no-drop": "bool",
  "ip-masq": "bool",
  ip6tables: "bool",
  iptables: "bool",
  ipv6: "bool",
  labels: "string[]",
  "live-restore": "bool",
  "log-driver": "string",
  "log-format": "string",
  "log-level": "string",
  "log-opts": "string-map",
  "max-concurrent-downloads": "int",
  "max-concurrent-uploads": "int",
  "max-download-attempts": "int",
  "metrics-addr": "string",
  mtu: "int",
  "network-control-plane-mtu": "int",
  "network-diagnostic-port": "int",
  "no-new-privileges": "bool",
  "no-proxy": "string",
  "node-generic-resources": "string[]",
  "oom-score-adjust": "int",
  pidfile: "string",
  proxies: "string-map",
  "raw-logs": "bool",
  "registry-mirrors": "string[]",
  runtimes: "object",
  "seccomp-profile": "string",
  "selinux-enabled": "bool",
  "shutdown-timeout": "int",
  "storage-driver": "string",
  "storage-opts": "string[]",
  "swarm-default-advertise-addr": "string",
  tls: "bool",
  tlscacert: "string",
  tlscert: "string",
  tlskey: "string",
  tlsverify: "bool",
  "userland-proxy": "bool",
  "userland-proxy-path": "string",
  "userns-remap": "string",
};

/**
 * dockerd flags whose daemon.json key differs from the flag name (repeatable flags are singular on the
 * command line and plural in the file). Every other long flag that is a key in DAEMON_KEY_TYPES maps to
 * the key of the same name.
 */
export const FLAG_TO_KEY: Readonly<Record<string, string>> = {
  host: "hosts",
  "insecure-registry": "insecure-registries",
  "authorization-plugin": "authorization-plugins",
  "storage-opt": "storage-opts",
  "default-ulimit": "default-ulimits",
  "log-opt": "log-opts",
  label: "labels",
  "dns-opt": "dns-opts",
  "exec-opt": "exec-opts",
  "registry-mirror": "registry-mirrors",
  "add-runtime": "runtimes",
  "default-address-pool": "default-address-pools",
  "node-generic-resource": "node-generic-resources",
  "cdi-spec-dir": "cdi-spec-dirs",
  "default-network-opt": "default-network-opts",
  feature: "features",
  "host-gateway-ip": "host-gateway-ips",
  "cluster-store-opt": "cluster-store-opts",
};

/** single-letter dockerd flags */
export const SHORT_FLAGS: Readonly<Record<string, string>> = {
  H: "host",
  l: "log-level",
  D: "debug",
  G: "group",
  g: "graph",
  b: "bridge",
  p: "pidfile",
  s: "storage-driver",
  h: "help",
  v: "version",
};

/** flags that exist but are not daemon.json keys */
export const NON_KEY_FLAGS: ReadonlySet<string> = new Set([
  "config-file",
  "validate",
  "rootless",
  "help",
  "version",
]);

/** boolean flags take no separate value: `--icc false` is `--icc` and a stray argument (pflag rules) */
export const isBoolFlag = (name: string): boolean =>
  DAEMON_KEY_TYPES[name] === "bool" || name === "validate" || name === "help" || name === "version";
