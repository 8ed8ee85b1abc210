/**
 * The boot harness's view of one simulated EC2 instance (tests/boot/sandbox.sh
 * does the work; tests/boot/README.md says what is real and what stands in).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { bootScriptDigest, bootScriptKey, decodeUserData, loaderUserData } from "../../components/userdata/render";
import { PROJECT_ROOT } from "../../plan/evaluate";

const SANDBOX = path.join(PROJECT_ROOT, "tests", "boot", "sandbox.sh");
/** Where instances keep their root disks and volumes while a run lasts. */
export const WORK_ROOT = process.env.BOOT_WORK_DIR ?? "/var/tmp/scale-tiers-boot";

/** The boot-script bucket, as the mocks name the network's; the prefix is the harness's (no IAM here). */
export const BOOT_BUCKET = "network-boot-scripts-mock";
const BOOT_ROLE = "harness";

/** The region the metadata service reports, which the loader asks for. */
export const REGION = "ap-northeast-2";

function sh(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
    const result = spawnSync(SANDBOX, args, { input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (result.error) {
        throw result.error;
    }
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** What the aws CLI and the metadata service answer on an instance. */
export interface Fixtures {
    /** SSM parameters by name. */
    readonly ssm?: Record<string, string>;
    /** SecretString by secret ARN. */
    readonly secrets?: Record<string, string>;
    /** ARNs the instance role may not read. */
    readonly denied?: readonly string[];
    /** S3 objects: local file by s3://bucket/key. */
    readonly s3?: Record<string, string>;
    /** What an https:// URL serves (fakes/curl): local file by URL. */
    readonly internet?: Record<string, string>;
    /** OpenSearch domains: the VPC endpoint `aws opensearch describe-domain` gives, by domain name. */
    readonly opensearch?: Record<string, string>;
    /**
     * HTTPS APIs (fakes/curl): by host, a program that answers curl's requests (its arguments after the
     * folder it may keep files in) and what it is told, e.g. the master user of an OpenSearch domain.
     */
    readonly apis?: Record<string, { handler: string; settings: string }>;
}

/** An EBS volume: a file system image that outlives the instances it is attached to. */
export class Volume {
    constructor(
        readonly id: string,
        readonly image: string,
        /** The device name a launch template attaches it as (e.g. /dev/sdf), linked as AL2023's udev rules do. */
        readonly deviceName?: string,
        /** Its size (a sparse file, so only what is written takes room). */
        sizeGiB = 1,
    ) {
        fs.mkdirSync(path.dirname(image), { recursive: true });
        fs.writeFileSync(image, "");
        fs.truncateSync(image, sizeGiB * 1024 * 1024 * 1024);
    }
}

/** A user data run: its exit status, its console output and the first line that failed. */
export interface BootResult {
    readonly status: number;
    readonly output: string;
    readonly seconds: number;
    /** The rendered script's line named by the ERR trap, or the ERROR message. */
    readonly firstFailure?: string;
}

export class Instance {
    readonly dir: string;
    private running = false;

    constructor(
        readonly name: string,
        readonly address: string,
        volume?: Volume,
        hosts = "",
    ) {
        this.dir = path.join(WORK_ROOT, name);
        fs.rmSync(this.dir, { recursive: true, force: true });
        fs.mkdirSync(path.join(this.dir, "fixtures", "imds"), { recursive: true });
        const env = [`ADDRESS=${address}`, `HOSTS='${hosts}'`];
        if (volume) {
            env.push(`VOLUME_IMAGE=${volume.image}`, `VOLUME_ID=${volume.id}`);
            if (volume.deviceName) {
                env.push(`DEVICE_NAME=${volume.deviceName}`);
            }
        }
        fs.writeFileSync(path.join(this.dir, "instance.env"), `${env.join("\n")}\n`);
        fs.writeFileSync(path.join(this.dir, "fixtures", "imds", "local-ipv4"), address);
        fs.mkdirSync(path.join(this.dir, "fixtures", "imds", "placement"));
        fs.writeFileSync(path.join(this.dir, "fixtures", "imds", "placement", "region"), REGION);
    }

    /** Replaces what the instance's aws CLI answers (takes effect at once). */
    setFixtures(fixtures: Fixtures): void {
        const root = path.join(this.dir, "fixtures");
        for (const kind of ["ssm", "secrets", "s3", "internet", "opensearch"]) {
            fs.rmSync(path.join(root, kind), { recursive: true, force: true });
            fs.mkdirSync(path.join(root, kind), { recursive: true });
        }
        for (const [name, value] of Object.entries(fixtures.ssm ?? {})) {
            const file = path.join(root, "ssm", name);
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, value);
        }
        const secretFile = (arn: string) => path.join(root, "secrets", arn.replace(/[/:]/g, "_"));
        for (const [arn, value] of Object.entries(fixtures.secrets ?? {})) {
            fs.writeFileSync(secretFile(arn), value);
        }
        for (const arn of fixtures.denied ?? []) {
            fs.writeFileSync(`${secretFile(arn)}.denied`, "");
        }
        for (const [url, local] of Object.entries(fixtures.s3 ?? {})) {
            const file = path.join(root, "s3", url.replace(/^s3:\/\//, ""));
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.copyFileSync(local, file);
        }
        for (const [domain, endpoint] of Object.entries(fixtures.opensearch ?? {})) {
            fs.writeFileSync(path.join(root, "opensearch", domain), endpoint);
        }
        for (const [host, api] of Object.entries(fixtures.apis ?? {})) {
            fs.mkdirSync(path.join(root, "internet", host), { recursive: true });
            fs.writeFileSync(path.join(root, "internet", host, ".api"), `${api.handler}\n`);
            fs.writeFileSync(path.join(root, "internet", host, ".settings"), api.settings);
        }
        for (const [url, local] of Object.entries(fixtures.internet ?? {})) {
            const file = path.join(root, "internet", url.replace(/^https:\/\//, ""));
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.copyFileSync(local, file);
        }
    }

    start(): void {
        const result = sh(["start", this.dir]);
        if (result.status !== 0) {
            throw new Error(`${this.name} did not start: ${result.stderr}`);
        }
        this.running = true;
    }

    stop(): void {
        if (this.running) {
            sh(["stop", this.dir]);
            this.running = false;
        }
    }

    /** A stop and start: /run and /tmp are emptied, enabled units start, the root disk stays. */
    reboot(): void {
        this.stop();
        this.start();
    }

    /**
     * Boots a server's boot script as EC2 does: the script is put in S3 (the
     * aws CLI's fixtures) under its SHA-256, and cloud-init runs the loader
     * pinned to it, which fetches, checks and runs it. `served` is what S3
     * holds instead (a tampered object), or null for none.
     */
    boot(script: string, served: string | null = script): BootResult {
        const location = {
            bucket: BOOT_BUCKET,
            key: bootScriptKey(BOOT_ROLE, script),
            sha256: bootScriptDigest(script),
        };
        const object = path.join(this.dir, "fixtures", "s3", location.bucket, location.key);
        fs.rmSync(object, { force: true });
        if (served !== null) {
            fs.mkdirSync(path.dirname(object), { recursive: true });
            fs.writeFileSync(object, served);
        }
        return this.runUserData(decodeUserData(loaderUserData(location)), script);
    }

    /** Runs user data as cloud-init would; the ERR trap's line numbers refer to `script`, which it runs. */
    private runUserData(userData: string, script: string): BootResult {
        const file = path.join(this.dir, "user-data.sh");
        fs.writeFileSync(file, userData);
        const started = Date.now();
        const result = sh(["run", this.dir, file]);
        const seconds = (Date.now() - started) / 1000;
        const output = result.stdout + result.stderr;
        let firstFailure: string | undefined;
        const trapped = /command failed \(exit status \d+\) at line (\d+) of the rendered script/.exec(output);
        if (trapped) {
            firstFailure = `line ${trapped[1]}: ${script.split("\n")[Number(trapped[1]) - 1]?.trim()}`;
        } else {
            firstFailure = /ERROR: (.*)/.exec(output)?.[1];
        }
        return { status: result.status, output, seconds, firstFailure };
    }

    /** Runs a command on the instance as root; fails the test when it fails. */
    exec(command: string): string {
        const result = this.execStatus(command);
        if (result.status !== 0) {
            throw new Error(`${this.name}: ${command} exited ${result.status}: ${result.output}`);
        }
        return result.output;
    }

    execStatus(command: string): { status: number; output: string } {
        const result = sh(["exec", this.dir, "/bin/bash", "-c", command]);
        return { status: result.status, output: result.stdout + result.stderr };
    }

    /** Everything a person could read on the host afterwards: logs, journals, recorded commands and processes. */
    everythingRecorded(): string {
        return this.exec(
            "cat /var/log/scale-tiers-bootstrap.log /var/log/harness-commands.log /var/log/harness-processes.log " +
                "/var/log/harness-journal/* /var/log/mysqld.log /var/log/nginx/*.log /var/log/mariadb/*.log " +
                "/var/log/php-fpm/*.log 2>/dev/null || true",
        );
    }

    /** How many times the harness's systemctl started a unit since boot. */
    starts(unit: string): number {
        const out = this.exec(`cat /run/harness-systemd/${unit}.service.starts 2>/dev/null || true`);
        return out.split("\n").filter((line) => line === "started").length;
    }

    /** "mode owner:group" of a path, as stat prints them. */
    mode(file: string): string {
        return this.exec(`stat -c '%a %U:%G' ${file}`).trim();
    }

    dispose(): void {
        this.stop();
        if (!process.env.BOOT_KEEP) {
            fs.rmSync(this.dir, { recursive: true, force: true });
        }
    }
}

/**
 * The bridges and veths the instances under WORK_ROOT left on the host, by
 * name; empty once every instance has stopped.
 */
export function networkLeftovers(): string {
    const result = sh(["network-check", WORK_ROOT]);
    return result.status === 0 ? "" : result.stderr.trim();
}

/** Replaces a rendered variable (the mocks' placeholder ids) with what AWS would give. */
export function withVariable(script: string, name: string, value: string): string {
    const pattern = new RegExp(`^readonly ${name}='[^']*'$`, "m");
    if (!pattern.test(script)) {
        throw new Error(`the script does not bind ${name}`);
    }
    return script.replace(pattern, `readonly ${name}='${value}'`);
}
