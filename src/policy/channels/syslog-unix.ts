import { execFile } from "node:child_process";
import { connect } from "node:net";

/**
 * Syslog over a unix socket (/dev/log). Local daemons (rsyslog imuxsock, journald) listen with
 * SOCK_DGRAM, which Node cannot open (dgram is UDP only), so the datagram is sent by perl — perl-base
 * is Essential on Debian and carries Socket. Sockets of type stream (syslog-ng unix-stream) get the
 * line newline-terminated over a plain net connection instead.
 */

const SEND_DATAGRAM = `
use Socket; use Errno;
my $path = shift; local $/; my $msg = <STDIN>;
socket(my $s, PF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\\n";
if (!connect($s, pack_sockaddr_un($path))) { print STDERR "connect: $!\\n"; exit($!{EPROTOTYPE} ? 3 : 1); }
defined(send($s, $msg, 0)) or die "send: $!\\n";
`;

/** Exit 3 = the socket is a stream socket. */
const WRONG_TYPE = 3;

export async function sendUnixSyslog(path: string, line: string, timeoutMs: number): Promise<void> {
  const wrongType = await new Promise<boolean>((resolve, reject) => {
    const child = execFile(
      "perl",
      ["-e", SEND_DATAGRAM, path],
      { timeout: timeoutMs },
      (err, _stdout, stderr) => {
        if (!err) return resolve(false);
        if (err.code === WRONG_TYPE) return resolve(true);
        const why =
          err.code === "ENOENT"
            ? "perl not found (needed for unix datagram sockets)"
            : stderr.trim() || err.message;
        reject(new Error(`${path}: ${why}`));
      },
    );
    child.stdin?.end(line);
  });
  if (wrongType) await sendUnixStream(path, `${line}\n`, timeoutMs);
}

function sendUnixStream(path: string, data: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path, timeout: timeoutMs });
    socket.once("timeout", () => socket.destroy(new Error(`${path}: no answer within ${timeoutMs} ms`)));
    socket.once("error", reject);
    socket.once("connect", () => socket.end(data));
    socket.once("close", (hadError) => {
      if (!hadError) resolve();
    });
  });
}
