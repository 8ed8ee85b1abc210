/**
 * EC2 instance type names: validation and CPU architecture. Pure functions.
 *
 * The family list is deliberately explicit rather than a loose pattern: a typo
 * such as `t3.mircro` or `m9.large` must fail validation before `pulumi up`,
 * not after the instance API rejects it halfway through a deployment.
 */

const xl = (...multiples: number[]) => multiples.map((n) => `${n}xlarge`);

/** Size lists shared by several families, from AWS's instance type specifications. */
const SIZES = {
    burstable: ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"],
    gen5: ["large", "xlarge", ...xl(2, 4, 8, 12, 16, 24)],
    gen5Metal: ["large", "xlarge", ...xl(2, 4, 8, 12, 16, 24), "metal"],
    c5: ["large", "xlarge", ...xl(2, 4, 9, 12, 18, 24), "metal"],
    c5a: ["large", "xlarge", ...xl(2, 4, 8, 12, 16, 24)],
    c5n: ["large", "xlarge", ...xl(2, 4, 9, 18), "metal"],
    gen6Intel: ["large", "xlarge", ...xl(2, 4, 8, 12, 16, 24, 32), "metal"],
    gen6Amd: ["large", "xlarge", ...xl(2, 4, 8, 12, 16, 24, 32, 48), "metal"],
    graviton: ["medium", "large", "xlarge", ...xl(2, 4, 8, 12, 16), "metal"],
    c6gn: ["medium", "large", "xlarge", ...xl(2, 4, 8, 12, 16)],
    gen7Intel: ["large", "xlarge", ...xl(2, 4, 8, 12, 16, 24, 48), "metal-24xl", "metal-48xl"],
    flex: ["large", "xlarge", ...xl(2, 4, 8, 12, 16)],
    gen7Amd: ["medium", "large", "xlarge", ...xl(2, 4, 8, 12, 16, 24, 32, 48), "metal-48xl"],
    r7iz: ["large", "xlarge", ...xl(2, 4, 8, 12, 16, 32), "metal-16xl", "metal-32xl"],
    gen8Graviton: ["medium", "large", "xlarge", ...xl(2, 4, 8, 12, 16, 24, 48), "metal-24xl", "metal-48xl"],
    gen8Intel: ["large", "xlarge", ...xl(2, 4, 8, 12, 16, 24, 32, 48, 96), "metal-48xl", "metal-96xl"],
    gen8Amd: ["medium", "large", "xlarge", ...xl(2, 4, 8, 12, 16, 24, 48), "metal-24xl", "metal-48xl"],
    i3: ["large", "xlarge", ...xl(2, 4, 8, 16), "metal"],
    i3en: ["large", "xlarge", ...xl(2, 3, 6, 12, 24), "metal"],
    i4i: ["large", "xlarge", ...xl(2, 4, 8, 12, 16, 24, 32), "metal"],
    gravitonStorage: ["large", "xlarge", ...xl(2, 4, 8, 16)],
    is4gen: ["medium", "large", "xlarge", ...xl(2, 4, 8)],
    x2idn: [...xl(16, 24, 32), "metal"],
    x2iedn: ["xlarge", ...xl(2, 4, 8, 16, 24, 32), "metal"],
    z1d: ["large", "xlarge", ...xl(2, 3, 6, 12), "metal"],
} as const;

type Family = { readonly architecture: "x86_64" | "arm64"; readonly sizes: readonly string[] };

const family = (architecture: Family["architecture"], sizes: readonly string[], names: string[]) =>
    names.map((name) => [name, { architecture, sizes }] as const);

/**
 * The current-generation families we accept, each with the sizes it comes in:
 * `c7i.9xlarge` (c5 has 9xlarge, c7i has not) fails validation rather than
 * the RunInstances call halfway through an update. Extend when AWS adds one.
 */
const FAMILIES: ReadonlyMap<string, Family> = new Map<string, Family>([
    ...family("x86_64", SIZES.burstable, ["t3", "t3a"]),
    ...family("x86_64", SIZES.gen5Metal, ["m5", "m5d", "m5n", "r5", "r5b", "r5d", "r5n"]),
    ...family("x86_64", SIZES.gen5, ["m5a", "r5a"]),
    ...family("x86_64", SIZES.c5, ["c5", "c5d"]),
    ...family("x86_64", SIZES.c5a, ["c5a"]),
    ...family("x86_64", SIZES.c5n, ["c5n"]),
    ...family("x86_64", SIZES.gen6Intel, ["m6i", "m6id", "m6in", "c6i", "c6id", "c6in", "r6i", "r6id", "r6in"]),
    ...family("x86_64", SIZES.gen6Amd, ["m6a", "c6a", "r6a"]),
    ...family("x86_64", SIZES.gen7Intel, ["m7i", "c7i", "r7i"]),
    ...family("x86_64", SIZES.flex, ["m7i-flex", "c7i-flex"]),
    ...family("x86_64", SIZES.gen7Amd, ["m7a", "c7a", "r7a"]),
    ...family("x86_64", SIZES.r7iz, ["r7iz"]),
    ...family("x86_64", SIZES.gen8Intel, ["m8i", "c8i", "r8i"]),
    ...family("x86_64", SIZES.gen8Amd, ["m8a", "c8a", "r8a"]),
    ...family("x86_64", SIZES.i3, ["i3"]),
    ...family("x86_64", SIZES.i3en, ["i3en"]),
    ...family("x86_64", SIZES.i4i, ["i4i"]),
    ...family("x86_64", SIZES.x2idn, ["x2idn"]),
    ...family("x86_64", SIZES.x2iedn, ["x2iedn"]),
    ...family("x86_64", SIZES.z1d, ["z1d"]),
    ...family("arm64", SIZES.burstable, ["t4g"]),
    ...family("arm64", SIZES.graviton, [
        "m6g",
        "m6gd",
        "c6g",
        "c6gd",
        "r6g",
        "r6gd",
        "x2gd",
        "m7g",
        "m7gd",
        "c7g",
        "c7gd",
        "c7gn",
        "r7g",
        "r7gd",
    ]),
    ...family("arm64", SIZES.c6gn, ["c6gn"]),
    ...family("arm64", SIZES.gen8Graviton, ["m8g", "m8gd", "c8g", "c8gd", "r8g", "r8gd"]),
    ...family("arm64", SIZES.gravitonStorage, ["i4g", "im4gn"]),
    ...family("arm64", SIZES.is4gen, ["is4gen"]),
]);

export type Architecture = Family["architecture"];

/** Why `name` is not an EC2 instance type we accept, or undefined when it is one. */
export function instanceTypeProblem(name: string): string | undefined {
    const [familyName, size, ...rest] = name.split(".");
    if (size === undefined || rest.length > 0) {
        return `"${name}" is not an EC2 instance type of the form <family>.<size>, e.g. t3.small`;
    }
    const known = FAMILIES.get(familyName);
    if (!known) {
        return `"${name}" has unknown or previous-generation family "${familyName}"; use a current family such as t3, m7i, r7g`;
    }
    if (!known.sizes.includes(size)) {
        return `"${name}" has unknown size "${size}": ${familyName} comes in ${known.sizes.join(", ")}`;
    }
    return undefined;
}

/** The CPU architecture of a validated instance type; the AMI must match it. */
export function architectureOf(instanceType: string): Architecture {
    const known = FAMILIES.get(instanceType.split(".")[0]);
    if (!known) {
        throw new Error(`unvalidated instance type "${instanceType}"`);
    }
    return known.architecture;
}

/** True for the burstable (CPU credit) families. */
export function isBurstable(instanceType: string): boolean {
    return /^t\d/.test(instanceType);
}

const BURSTABLE_MEMORY_GIB: Readonly<Record<string, number>> = {
    nano: 0.5,
    micro: 1,
    small: 2,
    medium: 4,
    large: 8,
    xlarge: 16,
    "2xlarge": 32,
};

/** GiB of memory per vCPU of the general-purpose (m), compute (c) and memory (r) families. */
const MEMORY_PER_VCPU: Readonly<Record<string, number>> = { m: 4, c: 2, r: 8 };

function vcpus(size: string): number | undefined {
    if (size === "medium") {
        return 1;
    }
    if (size === "large") {
        return 2;
    }
    const match = /^(\d*)xlarge$/.exec(size);
    return match ? 4 * Number(match[1] || 1) : undefined;
}

/**
 * Memory of a validated instance type in GiB, for the families whose memory
 * follows from their size (t, m, c, r); undefined for the others, which then
 * go unchecked rather than guessed.
 */
export function memoryGiB(instanceType: string): number | undefined {
    const [family, size] = instanceType.split(".");
    if (/^t\d/.test(family)) {
        return BURSTABLE_MEMORY_GIB[size];
    }
    const ratio = MEMORY_PER_VCPU[family[0]];
    const cpus = vcpus(size);
    return ratio !== undefined && cpus !== undefined && /^[mcr]\d/.test(family) ? ratio * cpus : undefined;
}
