/**
 * The stack's previous `deployedState`, read back before anything is
 * registered, and the check of the new config against it
 * (domain/deployed-state.ts holds the rules).
 *
 * The read is a StackReference to the stack itself
 * (`<organization>/<project>/<stack>`): Pulumi's way for a program to see
 * outputs, here the ones its last update left. The program awaits it before
 * it builds anything, so a refused config registers nothing else.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    DeployedState,
    StateProblem,
    declaredFromProblems,
    deployedState,
    phaseProblems,
    stateProblems,
    unreadableStateProblem,
} from "../domain/deployed-state";
import { StackConfig } from "../domain/stack-config";
import { ConfigError, ConfigProblem } from "../domain/config-problem";

/** The output every update exports, and the program reads back. */
export const DEPLOYED_STATE_OUTPUT = "deployedState";

/**
 * An output every version of the program has exported: a stack that has it
 * but no `deployedState` was last updated by a version that did not record
 * its state.
 */
const ALWAYS_EXPORTED = "vpcId";

/** What the stack's last update left, as far as the program can tell. */
export type PreviousDeployment =
    | { readonly kind: "none" }
    | { readonly kind: "unrecorded" }
    | { readonly kind: "recorded"; readonly state: DeployedState }
    | { readonly kind: "unreadable"; readonly problem: string };

/** The fully qualified name of the running stack, as a StackReference needs it. */
export function ownStackName(): string {
    return `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
}

/** Reads the stack's own last outputs; a first deployment has none. */
export async function readPreviousDeployment(): Promise<PreviousDeployment> {
    const self = new pulumi.StackReference("deployed-state", { name: ownStackName() });
    const [recorded, marker] = await Promise.all([
        self.getOutputDetails(DEPLOYED_STATE_OUTPUT),
        self.getOutputDetails(ALWAYS_EXPORTED),
    ]);
    const value: unknown = recorded.value ?? recorded.secretValue;
    if (value === undefined) {
        return marker.value === undefined && marker.secretValue === undefined
            ? { kind: "none" }
            : { kind: "unrecorded" };
    }
    const problem = unreadableStateProblem(value);
    return problem ? { kind: "unreadable", problem } : { kind: "recorded", state: value as DeployedState };
}

function configProblem(project: string, problem: StateProblem): ConfigProblem {
    const key = problem.key.includes(":") ? problem.key : `${project}:${problem.key}`;
    return {
        key,
        problem: `deployed ${problem.deployed}, asked ${problem.asked}: ${problem.why}`,
        fix: problem.fix,
    };
}

/**
 * The problems of deploying `config` over what `previous` left. Without a
 * recorded state the phase is checked from `migration.from` (default `none`)
 * on an estate that predates the record, and from `none` on a new stack.
 */
export function deploymentProblems(previous: PreviousDeployment, config: StackConfig): ConfigProblem[] {
    const next = deployedState(config);
    const declared = config.migration.from;
    const problems: StateProblem[] = [];
    switch (previous.kind) {
        case "recorded":
            problems.push(
                ...declaredFromProblems(previous.state.migrationPhase, declared),
                ...stateProblems(previous.state, next),
            );
            break;
        case "unrecorded":
            problems.push(...phaseProblems(declared ?? "none", next.migrationPhase));
            break;
        case "none":
            problems.push(...declaredFromProblems("none", declared), ...phaseProblems("none", next.migrationPhase));
            break;
        case "unreadable":
            problems.push({
                key: "deployedState",
                deployed: "a deployedState output this program cannot read",
                asked: "an update",
                why: `the output ${previous.problem}, so nothing can be checked against what is deployed`,
                fix: "update the stack with the version of the program that deployed it, or a newer one",
            });
            break;
    }
    return problems.map((problem) => configProblem(config.project, problem));
}

/** Refuses `config`, with every problem at once, when it cannot be deployed over `previous`. */
export function checkDeployment(previous: PreviousDeployment, config: StackConfig): void {
    const problems = deploymentProblems(previous, config);
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    if (previous.kind === "unrecorded") {
        void pulumi.log.warn(
            "the stack was last updated by a version that did not record its deployedState: only the migration " +
                "phase was checked (from migration.from); this update records it, and the next ones are checked in full",
        );
    }
}

/**
 * `state` as the `deployedState` output, resolved only once every resource
 * the program registered exists (its id is known): an update that fails
 * halfway leaves the previous record, not one of a state it did not reach.
 * Call before the program registers its resources.
 */
export function recordOnceDeployed(state: DeployedState): () => pulumi.Output<DeployedState> {
    const resources: pulumi.CustomResource[] = [];
    pulumi.runtime.registerStackTransformation((args) => {
        // The resource is still being constructed: its id is read once the program has built them all.
        if (pulumi.CustomResource.isInstance(args.resource)) {
            resources.push(args.resource);
        }
        return undefined;
    });
    return () => pulumi.all(resources.map((resource) => resource.id)).apply(() => state);
}
