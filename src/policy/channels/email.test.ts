import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AirbagError } from "../../model/index.js";
import { parseSmtpUrl } from "./email.js";
import { createChannel } from "./index.js";
import { sampleAlert, selfSignedCert, type TestCert } from "./receivers.testutil.js";

interface Received {
  raw: string;
  from: string;
  to: string[];
  secure: boolean;
  user?: string;
}

interface SmtpReceiver {
  port: number;
  mails: Received[];
  authAttempts: number;
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server) on 127.0.0.1 accepting user "alerts" / password "s3cret:pw". */
async function startSmtp(options: SMTPServerOptions): Promise<SmtpReceiver> {
  const mails: Received[] = [];
  const state = { authAttempts: 0 };
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    ...options,
    onAuth(auth, _session, cb) {
      state.authAttempts++;
      if (auth.username === "alerts" && auth.password === "s3cret:pw") cb(null, { user: auth.username });
      else cb(new Error("Invalid username or password"));
    },
    onData(stream, session, cb) {
      let raw = "";
      stream.on("data", (c: Buffer) => {
        raw += c.toString("utf8");
      });
      stream.on("end", () => {
        mails.push({
          raw,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          secure: session.secure,
          user: session.user as string | undefined,
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    mails,
    get authAttempts() {
      return state.authAttempts;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const fast = { backoffMs: 10, timeoutMs: 3000, retries: 1, hostname: "node-1.example" };
const alert = sampleAlert({
  summary: "[critical] cryptominer in web (nginx:1)",
  evidence: "xmrig <script>alert(1)</script> -o stratum+tcp://127.0.0.1:3333",
});
let cert: TestCert;
let smtp: SmtpReceiver | undefined;

beforeAll(async () => {
  cert = await selfSignedCert();
});
afterAll(async () => {
  await cert.cleanup();
});
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

/** RFC 2045 soft line breaks and =XX escapes, enough to read the bodies back. */
function unQuotedPrintable(s: string): string {
  return s
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

describe("email channel", () => {
  it("delivers over plain SMTP with AUTH: subject = summary, text and escaped HTML bodies", async () => {
    smtp = await startSmtp({ disabledCommands: ["STARTTLS"], allowInsecureAuth: true });
    const ch = createChannel(
      "oncall",
      {
        type: "email",
        to: ["oncall@example.com", "sec@example.com"],
        smtp: `smtp://alerts:${encodeURIComponent("s3cret:pw")}@127.0.0.1:${smtp.port}`,
      },
      fast,
    );
    await ch.send(alert);
    await ch.close?.();
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.user).toBe("alerts");
    expect(mail.secure).toBe(false);
    expect(mail.from).toBe("airbag@node-1.example");
    expect(mail.to).toEqual(["oncall@example.com", "sec@example.com"]);
    expect(mail.raw).toMatch(/^Subject: \[critical\] cryptominer in web \(nginx:1\)\r$/m);
    expect(mail.raw).toMatch(/^X-Airbag-Delivery: 3f1c9a52-8d2e-4c1b-9a57-2b6e0f4d7c11\r$/m);
    const body = unQuotedPrintable(mail.raw);
    expect(body).toContain("Content-Type: text/plain");
    expect(body).toContain("Evidence:  xmrig <script>alert(1)</script>");
    expect(body).toContain("Content-Type: text/html");
    expect(body).toContain("<td>xmrig &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(body).not.toContain("<td>xmrig <script>");
  });

  it("upgrades with STARTTLS when the server offers it, then authenticates", async () => {
    smtp = await startSmtp({ key: cert.key, cert: cert.cert });
    const url = `smtp://alerts:${encodeURIComponent("s3cret:pw")}@127.0.0.1:${smtp.port}`;
    await createChannel(
      "oncall",
      { type: "email", to: ["oncall@example.com"], smtp: url, insecure: true, requireTls: true },
      fast,
    ).send(alert);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.secure).toBe(true);
    expect(smtp.mails[0]!.user).toBe("alerts");
  });

  it("refuses an untrusted certificate unless insecure is set", async () => {
    smtp = await startSmtp({ key: cert.key, cert: cert.cert });
    const err = await createChannel(
      "oncall",
      { type: "email", to: ["a@example.com"], smtp: `smtp://127.0.0.1:${smtp.port}` },
      fast,
    )
      .send(alert)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AirbagError);
    expect((err as Error).message).toMatch(/^channel oncall: SMTP: .*certificate/i);
    expect(smtp.mails).toHaveLength(0);
  });

  it("requireTls refuses a server that does not offer STARTTLS", async () => {
    smtp = await startSmtp({ disabledCommands: ["STARTTLS"] });
    const err = await createChannel(
      "oncall",
      { type: "email", to: ["a@example.com"], smtp: `smtp://127.0.0.1:${smtp.port}`, requireTls: true },
      fast,
    )
      .send(alert)
      .catch((e: unknown) => e);
    expect((err as AirbagError).code).toBe("NETWORK");
    expect((err as Error).message).toMatch(/STARTTLS/);
    expect(smtp.mails).toHaveLength(0);
  });

  it("speaks implicit TLS for smtps://", async () => {
    smtp = await startSmtp({ secure: true, key: cert.key, cert: cert.cert });
    await createChannel(
      "oncall",
      {
        type: "email",
        to: ["a@example.com"],
        smtp: `smtps://alerts:${encodeURIComponent("s3cret:pw")}@127.0.0.1:${smtp.port}`,
        insecure: true,
      },
      fast,
    ).send(alert);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.secure).toBe(true);
  });

  it("does not retry a wrong password", async () => {
    smtp = await startSmtp({ disabledCommands: ["STARTTLS"], allowInsecureAuth: true });
    const err = await createChannel(
      "oncall",
      { type: "email", to: ["a@example.com"], smtp: `smtp://alerts:wrong@127.0.0.1:${smtp.port}` },
      { ...fast, retries: 3 },
    )
      .send(alert)
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/\(1 attempt\)$/);
    expect(smtp.authAttempts).toBe(1);
  });

  it("parses SMTP URLs and refuses other schemes naming the field", () => {
    expect(parseSmtpUrl("smtps://u%40x:p%3Aw@mail.example", "f")).toEqual({
      host: "mail.example",
      port: 465,
      secure: true,
      auth: { user: "u@x", pass: "p:w" },
    });
    expect(parseSmtpUrl("smtp://127.0.0.1:2525", "f")).toEqual({
      host: "127.0.0.1",
      port: 2525,
      secure: false,
    });
    expect(() => createChannel("oncall", { type: "email", to: ["a@b"], smtp: "http://x" })).toThrow(
      /^channels\.oncall\.smtp: scheme must be smtp:\/\/ or smtps:\/\//,
    );
  });
});
