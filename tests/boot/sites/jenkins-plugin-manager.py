# Boot harness stand-in for the Jenkins plugin installation manager's jar
# (tests/boot/sites/README.md), run by the harness's java with the tool's
# options: --war (must exist), --plugin-download-directory (must be
# writable), --plugins <name>... Each named plugin becomes <name>.jpi, a
# plugin archive with its manifest; dependencies are not resolved and nothing
# is downloaded (the real tool fetches from updates.jenkins.io).
import os
import sys
import zipfile

arguments = sys.argv[1:]
war = directory = None
plugins = []
i = 0
while i < len(arguments):
    if arguments[i] == "--war":
        war = arguments[i + 1]
        i += 2
    elif arguments[i] == "--plugin-download-directory":
        directory = arguments[i + 1]
        i += 2
    elif arguments[i] == "--plugins":
        i += 1
        while i < len(arguments) and not arguments[i].startswith("--"):
            plugins.append(arguments[i])
            i += 1
    else:
        sys.exit(f"Unknown option {arguments[i]}")
if not war or not os.path.isfile(war):
    sys.exit(f"Unable to find Jenkins war file: {war}")
if not directory or not os.access(directory, os.W_OK):
    sys.exit(f"Plugin download directory {directory} is not writable")
for plugin in plugins:
    name = plugin.split(":")[0]
    with zipfile.ZipFile(os.path.join(directory, f"{name}.jpi"), "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", f"Manifest-Version: 1.0\nShort-Name: {name}\n")
    print(f"Downloaded {name}")
print("Done")
