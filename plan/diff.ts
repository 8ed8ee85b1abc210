/**
 * What `pulumi up` would do to an estate evaluated one way when evaluated
 * another under the same stack name: given another tier's config (a
 * promotion), or the program at a git ref against the working tree. Pure functions.
 */
import { RecordedResource, Recording } from "./evaluate";
import { StatefulLoss, changedInputs, forcingInputs, renamedTo, statefulLosses } from "./replacement";

export interface ChangedResource {
    readonly urn: string;
    readonly name: string;
    readonly type: string;
    /** Top-level input keys whose values differ. */
    readonly keys: readonly string[];
}

export interface ReplacedResource extends ChangedResource {
    /** `URN changed (was <urn>)`, or the replacement-forcing inputs that changed. */
    readonly reason: string;
}

/** A resource under a new name that answers to its old one (an alias): nothing is replaced. */
export interface RenamedResource extends ChangedResource {
    readonly was: string;
}

export interface PromotionDiff {
    readonly from: string;
    readonly to: string;
    readonly added: readonly RecordedResource[];
    readonly removed: readonly RecordedResource[];
    readonly renamed: readonly RenamedResource[];
    readonly changed: readonly ChangedResource[];
    readonly replaced: readonly ReplacedResource[];
    /** Stateful resources destroyed by the promotion: data-loss risks. */
    readonly dataLoss: readonly StatefulLoss[];
}

/** Top-level inputs that differ, but for those `b` ignores changes to (Pulumi does not apply them). */
function differingKeys(a: RecordedResource, b: RecordedResource): string[] {
    const keys = [...new Set([...Object.keys(a.inputs), ...Object.keys(b.inputs)])].sort();
    return keys.filter(
        (key) => !b.ignoreChanges.includes(key) && JSON.stringify(a.inputs[key]) !== JSON.stringify(b.inputs[key]),
    );
}

/**
 * Classifies every resource of `before` and `after`: a resource whose URN
 * changed while its type and name stayed (it moved to another parent) is
 * replaced; otherwise a URN only in one side is removed or added.
 */
export function promotionDiff(
    before: Recording,
    after: Recording,
    from = before.stack,
    to = after.stack,
): PromotionDiff {
    const afterByUrn = new Map(after.resources.map((r) => [r.urn, r]));
    const beforeUrns = new Set(before.resources.map((r) => r.urn));
    const key = (r: RecordedResource) => `${r.type}::${r.name}`;
    const movedTo = new Map(after.resources.filter((r) => !beforeUrns.has(r.urn)).map((r) => [key(r), r] as const));
    const added = after.resources.filter((r) => !beforeUrns.has(r.urn));
    const removed: RecordedResource[] = [];
    const renamed: RenamedResource[] = [];
    const changed: ChangedResource[] = [];
    const replaced: ReplacedResource[] = [];
    for (const old of before.resources) {
        const next = afterByUrn.get(old.urn);
        const renamedAs = next === undefined ? renamedTo(after, old) : undefined;
        if (renamedAs) {
            added.splice(added.indexOf(renamedAs), 1);
            renamed.push({
                urn: renamedAs.urn,
                name: renamedAs.name,
                type: old.type,
                keys: differingKeys(old, renamedAs),
                was: old.name,
            });
            continue;
        }
        if (next === undefined) {
            const moved = movedTo.get(key(old));
            if (moved) {
                added.splice(added.indexOf(moved), 1);
                const keys = differingKeys(old, moved);
                replaced.push({
                    urn: moved.urn,
                    name: old.name,
                    type: old.type,
                    keys,
                    reason: `URN changed (was ${old.urn})`,
                });
            } else {
                removed.push(old);
            }
            continue;
        }
        const keys = differingKeys(old, next);
        if (keys.length === 0) {
            continue;
        }
        const forcing = changedInputs(forcingInputs(old), old.inputs, next.inputs).filter((path) =>
            keys.includes(path.split(".")[0]),
        );
        if (forcing.length > 0) {
            replaced.push({
                urn: old.urn,
                name: old.name,
                type: old.type,
                keys,
                reason: `${forcing.join(", ")} changed`,
            });
        } else {
            changed.push({ urn: old.urn, name: old.name, type: old.type, keys });
        }
    }
    return { from, to, added, removed, renamed, changed, replaced, dataLoss: statefulLosses(before, after) };
}

export function formatDiff(diff: PromotionDiff): string {
    const lines = [
        `${diff.from} -> ${diff.to}: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.renamed.length} renamed, ` +
            `${diff.changed.length} changed, ${diff.replaced.length} replaced`,
    ];
    const section = (title: string, items: string[]) =>
        items.length > 0 && lines.push(`  ${title}:`, ...items.map((i) => `    ${i}`));
    section(
        "DATA-LOSS RISK (stateful resources destroyed)",
        diff.dataLoss.map((l) => `${l.urn}: ${l.reason}`),
    );
    section(
        "replaced",
        diff.replaced.map((r) => `${r.name} (${r.type}): ${r.reason}`),
    );
    section(
        "added",
        diff.added.map((r) => `${r.name} (${r.type})`),
    );
    section(
        "removed",
        diff.removed.map((r) => `${r.name} (${r.type})`),
    );
    section(
        "renamed (aliased: nothing replaced)",
        diff.renamed.map(
            (r) => `${r.was} -> ${r.name} (${r.type})${r.keys.length > 0 ? `: ${r.keys.join(", ")}` : ""}`,
        ),
    );
    section(
        "changed",
        diff.changed.map((r) => `${r.name} (${r.type}): ${r.keys.join(", ")}`),
    );
    return lines.join("\n");
}
