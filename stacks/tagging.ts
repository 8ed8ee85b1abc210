import * as pulumi from "@pulumi/pulumi";
import { Tags, estateTags, owningComponent, withTags } from "../domain/tags";

function urnOf(resource: pulumi.Resource): Promise<string> {
    // A URN is known in a preview too, so the apply runs.
    return new Promise((resolve) => resource.urn.apply(resolve));
}

/**
 * Tags every resource registered from now on, wherever its type takes tags,
 * with the stack's own tags, the project, the stack and the component that
 * owns it. An engine-side transform: it reaches the resources remote
 * components (awsx) create too. Call before creating any resource.
 */
export function tagEveryResource(project: string, stack: string, stackTags: Tags): void {
    pulumi.runtime.registerResourceTransform(async (args) => {
        if (!args.opts.parent) {
            return undefined;
        }
        const component = owningComponent(await urnOf(args.opts.parent));
        if (component === undefined) {
            return undefined;
        }
        const props = withTags(args.type, args.props, estateTags(project, stack, component, stackTags));
        return props && { props, opts: args.opts };
    });
}
