#!/bin/sh
# tests/system/sbom.sh: the image's SBOM (SPDX 2.3 JSON) is there, in the
# image at /usr/share/classbox/sbom.spdx.json, and has the fields SPDX
# requires and every component we promise (no QEMU needed).
# Environment: IMAGE_DIR (default build/image/qemu-x86_64).
. "$(dirname "$0")/../lib.sh"
top=$TOP
dir=${IMAGE_DIR:-$top/build/image/qemu-x86_64}
case $dir in /*) ;; *) dir=$top/$dir ;; esac
f=$dir/sbom.spdx.json
command -v jq >/dev/null || { not_ok "jq installed (apt-get install jq)"; exit 1; }

check "make sbom wrote $f" [ -s "$f" ]
check "it is JSON" jq -e . "$f" >/dev/null 2>&1
jq -e '.spdxVersion == "SPDX-2.3" and .dataLicense == "CC0-1.0" and .SPDXID == "SPDXRef-DOCUMENT"
	and (.name | length > 0) and (.documentNamespace | test("^https?://"))
	and (.creationInfo.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"))
	and (.creationInfo.creators | length > 0)' "$f" >/dev/null 2>&1
check "document fields: spdxVersion SPDX-2.3, dataLicense, SPDXID, name, documentNamespace, creationInfo" [ $? = 0 ]
jq -e '[.packages[] | (.SPDXID | test("^SPDXRef-[A-Za-z0-9.-]+$")) and (.name | length > 0)
	and has("downloadLocation") and has("versionInfo") and has("licenseDeclared")] | all' "$f" >/dev/null 2>&1
check "every package has SPDXID, name, versionInfo, downloadLocation, licenseDeclared" [ $? = 0 ]
jq -e '[.packages[].SPDXID] | length == (unique | length)' "$f" >/dev/null 2>&1
check "SPDXIDs are unique" [ $? = 0 ]
jq -e '(.relationships | map(select(.relationshipType == "DESCRIBES")) | length) == 1' "$f" >/dev/null 2>&1
check "the document DESCRIBES the image" [ $? = 0 ]
for n in classbox mbedtls lmdb yyjson argon2 llhttp zlib busybox musl grub-efi; do
	jq -e --arg n "$n" '.packages[] | select(.name == $n) | .versionInfo | length > 0' "$f" >/dev/null 2>&1
	check "component $n listed with a version" [ $? = 0 ]
done
jq -e '.packages[] | select(.name | startswith("linux-")) | .checksums[0].algorithm == "SHA256"' "$f" >/dev/null 2>&1
check "the kernel package is listed with its SHA-256" [ $? = 0 ]
missing=$(awk '!/^#/ && NF == 7 { print $1, $6 }' "$top/deps.lock" | while read -r n sha; do
	case $n in linux-*|ovmf) jq -e --arg n "$n" '.packages[] | select(.name == $n)' "$f" >/dev/null 2>&1 || continue ;; esac
	jq -e --arg n "$n" --arg s "$sha" '.packages[] | select(.name == $n) |
		(.checksums[0].checksumValue == $s) and (.licenseDeclared | length > 0) and (.sourceInfo | test("Debian package"))' \
		"$f" >/dev/null 2>&1 || printf ' %s' "$n"
done)
check "deps.lock entries listed with Debian package, version, licence and the lock's SHA-256 (wrong or missing:${missing:- none})" [ -z "$missing" ]
# Every component the image CONTAINS (all but the image's own package, a
# collection whose parts declare their own) has a SHA-256 and a licence.
bad=$(jq -r '.packages[] | select(.SPDXID != "SPDXRef-Image") |
	select(([.checksums[]? | select(.algorithm == "SHA256" and (.checksumValue | test("^[0-9a-f]{64}$")))] | length) != 1
		or (.licenseDeclared // "" | . == "" or . == "NOASSERTION" or . == "NONE")) | .name' "$f" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')
check "every component has one SHA-256 and a declared licence (wrong: ${bad:-none})" [ -z "$bad" ]
# classbox: the SHA-256 of the binary the image carries, and its licence
# defined in the document (a LicenseRef needs its text there).
csha=$(sha256sum "$dir/rootfs/bin/classbox" 2>/dev/null | cut -d' ' -f1)
jq -e --arg s "$csha" '.packages[] | select(.name == "classbox") | .checksums[0].checksumValue == $s' "$f" >/dev/null 2>&1
check "classbox's SHA-256 is that of /usr/bin/classbox in the image (${csha:-no rootfs/bin/classbox})" [ $? = 0 ]
jq -e '(.packages[] | select(.name == "classbox") | .licenseDeclared) as $l |
	($l | test("^LicenseRef-")) and ([.hasExtractedLicensingInfos[]? | select(.licenseId == $l and (.extractedText | length > 0))] | length == 1)' \
	"$f" >/dev/null 2>&1
check "classbox's licence is a LicenseRef defined in hasExtractedLicensingInfos" [ $? = 0 ]
# musl: the exact Debian musl-dev version of this host and the SHA-256 of
# its .deb as apt knows it (the SBOM is checked on the host that built it).
if mver=$(dpkg-query -W -f '${Version}' musl-dev 2>/dev/null) && [ -n "$mver" ]; then
	march=$(dpkg-query -W -f '${Architecture}' musl-dev)
	msha=$(apt-cache show "musl-dev=$mver" 2>/dev/null | sed -n 's/^SHA256: //p' | head -n 1)
	[ -n "$msha" ] || msha=$(sha256sum "/var/cache/apt/archives/musl-dev_$(echo "$mver" | sed 's/:/%3a/')_$march.deb" 2>/dev/null | cut -d' ' -f1)
	jq -e --arg v "$mver" --arg s "$msha" '.packages[] | select(.name == "musl") |
		(.sourceInfo == ("Debian package bin:musl-dev version " + $v)) and (.checksums[0].checksumValue == $s)
		and (.licenseDeclared == "MIT")' "$f" >/dev/null 2>&1
	check "musl: Debian musl-dev $mver, the SHA-256 of its .deb (${msha:-unknown}), MIT" [ $? = 0 ]
else
	not_ok "musl-dev installed on this host (the SBOM's musl is checked against it)"
fi
in_image=$dir/rootfs/usr/share/classbox/sbom.spdx.json
check "the image carries it at /usr/share/classbox/sbom.spdx.json (same file)" cmp -s "$f" "$in_image"
if command -v unsquashfs >/dev/null; then
	unsquashfs -l "$dir/rootfs.squashfs" 2>/dev/null | grep -q 'usr/share/classbox/sbom.spdx.json$'
	check "rootfs.squashfs contains usr/share/classbox/sbom.spdx.json" [ $? = 0 ]
fi
t_done
