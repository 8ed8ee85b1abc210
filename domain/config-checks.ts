/**
 * Checks of single config values: each says why a value is wrong, or returns
 * undefined. The schema (domain/stack-config.ts) attaches them to its fields.
 */
import { AWS_RESERVED_RANGE, PRIVATE_RANGES, contains, overlaps, parseCidr } from "./cidr";
import { instanceTypeProblem } from "./instance-types";

export const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const HEALTH_CHECK_PATH = /^\/[A-Za-z0-9._~/-]{0,1023}$/;
const BACKUP_WINDOW = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;
const MAINTENANCE_WINDOW =
    /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]{36}$/;
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,40}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i;
/** Memcached gets in-transit encryption from this version on. */
const MEMCACHED_TLS_MIN_VERSION = [1, 6, 12];

/** The VPC's block: private, /16 to /20, clear of the range AWS services and Docker use. */
export function vpcCidrProblem(text: string): string | undefined {
    const cidr = parseCidr(text);
    if (typeof cidr === "string") {
        return cidr;
    }
    if (cidr.prefix < 16 || cidr.prefix > 20) {
        return `/${cidr.prefix} is outside /16 to /20; the subnet layout needs a /20 at least and AWS allows /16 at most`;
    }
    if (!PRIVATE_RANGES.some((range) => contains(range, cidr))) {
        return `"${text}" is not inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10)`;
    }
    if (overlaps(cidr, AWS_RESERVED_RANGE)) {
        return `"${text}" overlaps 172.17.0.0/16, which AWS services and Docker use`;
    }
    return undefined;
}

/** An admin or VPN range: a CIDR block no wider than a /8. */
export function adminCidrProblem(text: string): string | undefined {
    const cidr = parseCidr(text);
    if (typeof cidr === "string") {
        return cidr;
    }
    return cidr.prefix < 8 ? `"${text}" is a /${cidr.prefix}, far beyond an admin network or VPN range` : undefined;
}

export function zoneNameProblem(name: string): string | undefined {
    const labels = name.split(".");
    if (name.length > 253 || labels.length < 2 || !labels.every((label) => DNS_LABEL.test(label))) {
        return `"${name}" is not a lower-case DNS name of two or more labels`;
    }
    return undefined;
}

const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;

/** A Route 53 hosted zone id as the console shows it. */
export function hostedZoneIdProblem(id: string): string | undefined {
    return HOSTED_ZONE_ID.test(id) ? undefined : `"${id}" is not a hosted zone id`;
}

/** One or more DNS labels, e.g. `tools` or `int.tools`; empty means none. */
export function subdomainProblem(subdomain: string): string | undefined {
    return subdomain === "" || subdomain.split(".").every((label) => DNS_LABEL.test(label))
        ? undefined
        : `"${subdomain}" is not one or more lower-case DNS labels`;
}

export function healthCheckPathProblem(path: string): string | undefined {
    return HEALTH_CHECK_PATH.test(path) ? undefined : `"${path}" is not an absolute URL path`;
}

/** An ACM certificate ARN; empty means none. */
export function certificateArnProblem(arn: string): string | undefined {
    return arn === "" || CERTIFICATE_ARN.test(arn) ? undefined : `"${arn}" is not an ACM certificate ARN`;
}

/** The region of a well-formed ACM certificate ARN. */
export function certificateRegion(arn: string): string | undefined {
    return CERTIFICATE_ARN.exec(arn)?.[1];
}

/** Why `name` is not a managed-service class such as `db.r7g.large`, or undefined when it is one. */
export function managedClassProblem(shape: { prefix: string; suffix: string }) {
    return (name: string): string | undefined => {
        if (!name.startsWith(shape.prefix) || !name.endsWith(shape.suffix)) {
            return `"${name}" is not of the form ${shape.prefix}<family>.<size>${shape.suffix}`;
        }
        return instanceTypeProblem(name.slice(shape.prefix.length, name.length - shape.suffix.length));
    };
}

export function backupWindowProblem(window: string): string | undefined {
    return BACKUP_WINDOW.test(window) ? undefined : `"${window}" is not a UTC window hh:mm-hh:mm`;
}

export function maintenanceWindowProblem(window: string): string | undefined {
    return MAINTENANCE_WINDOW.test(window) ? undefined : `"${window}" is not a UTC window ddd:hh:mm-ddd:hh:mm`;
}

export function memcachedVersionProblem(version: string): string | undefined {
    const parts = /^(\d+)\.(\d+)\.(\d+)$/.exec(version)?.slice(1).map(Number);
    if (!parts) {
        return `"${version}" is not a version like 1.6.22`;
    }
    const older = parts.findIndex((part, i) => part !== MEMCACHED_TLS_MIN_VERSION[i]);
    return older >= 0 && parts[older] < MEMCACHED_TLS_MIN_VERSION[older]
        ? `${version} has no in-transit encryption, which memcached gets from 1.6.12`
        : undefined;
}

export function openSearchVersionProblem(version: string): string | undefined {
    return /^OpenSearch_\d+\.\d+$/.test(version) ? undefined : `"${version}" is not like OpenSearch_2.19`;
}

/** A DMS engine version; empty means DMS's default. */
export function dmsVersionProblem(version: string): string | undefined {
    return version === "" || /^\d+\.\d+\.\d+$/.test(version) ? undefined : `"${version}" is not a version like 3.5.4`;
}

export function queueNameProblem(name: string): string | undefined {
    return QUEUE_NAME.test(name) ? undefined : `"${name}" is not 1 to 40 letters, digits, - or _`;
}

export function emailProblem(address: string): string | undefined {
    return EMAIL.test(address) ? undefined : `"${address}" is not an e-mail address`;
}
