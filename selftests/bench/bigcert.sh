#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bigcert.sh DIR [PAD]: the PKI of the handshake benchmark (handshake.sh,
# issue 21), made with the openssl CLI when the benchmark runs (no private
# key is ever committed):
#
#   DIR/ca.pem		self-signed ECDSA P-256 root ("CN=bench root")
#   DIR/a.pem, b.pem	end-entity certificates signed by the root, each
#			padded with PAD bytes (default 32000) in a private,
#			non-critical extension, so that the CERT payload each
#			side sends is about 32 KB and its IKE_AUTH about 33 KB
#   DIR/a.key, b.key	their ECDSA P-256 keys (PKCS#8 PEM, mode 600)
#
# The padding extension has the OID 1.3.6.1.4.1.32473.21.1, under the
# enterprise number that RFC 5612 reserves for documentation: no
# implementation knows it, and since it is not critical a verifier must
# ignore it (RFC 5280 4.2).  Its value is an OCTET STRING of PAD bytes.
#
# End entity a: subject "C=CH, O=iketcp bench, CN=a.example",
# subjectAltName DNS:a.example (the identity lib/cells.sh's conf() gives
# the initiator, fqdn:a.example); b likewise with b.example.
#
# ECDSA rather than RSA: the padding, not the key, makes the message large,
# and P-256 signatures cost little under QEMU without KVM.  Valid from now
# for ten years (the VM's clock is the host's).
set -eu

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 DIR [PAD]" >&2; exit 2; }
dir=$1
pad=${2:-32000}
case $pad in ''|*[!0-9]*) echo "bigcert.sh: PAD must be a number" >&2; exit 2 ;; esac
mkdir -p "$dir"
cd "$dir"
umask 077
export OPENSSL_CONF=/dev/null	# no site defaults in what we make
O="/C=CH/O=iketcp bench"
OID=1.3.6.1.4.1.32473.21.1

p256() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$1" 2>/dev/null
}

p256 ca.key
openssl req -x509 -new -key ca.key -subj "$O/CN=bench root" -days 3650 \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" \
	-addext "subjectKeyIdentifier=hash" -sha256 -out ca.pem

# The padding: PAD bytes 0x5a ('Z') in hex, one line of the extension file
# (openssl's config reader takes lines of any length).
hex=$(head -c "$pad" /dev/zero | tr '\0' 'Z' | od -An -v -tx1 | tr -d ' \n')
serial=2100
for e in a b; do
	{
		printf '[ee]\nbasicConstraints = CA:FALSE\n'
		printf 'keyUsage = critical, digitalSignature\n'
		printf 'subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n'
		printf 'subjectAltName = DNS:%s.example\n' "$e"
		printf '%s = ASN1:FORMAT:HEX,OCTETSTRING:%s\n' "$OID" "$hex"
	} > ext.cnf
	p256 "$e.key"
	openssl req -new -key "$e.key" -subj "$O/CN=$e.example" -out "$e.csr"
	serial=$((serial + 1))
	openssl x509 -req -in "$e.csr" -CA ca.pem -CAkey ca.key \
		-set_serial $serial -days 3650 -extfile ext.cnf -extensions ee \
		-sha256 -out "$e.pem" 2>/dev/null
	rm -f "$e.csr"
	openssl verify -CAfile ca.pem "$e.pem" > /dev/null
done
rm -f ext.cnf ca.key
chmod 644 ca.pem a.pem b.pem
