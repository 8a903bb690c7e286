#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make-certs.sh DIR: a throw-away test PKI, made with the openssl CLI at
# test time (no private key is ever committed).  For each key type T:
#
#   DIR/T/root.pem	self-signed root CA ("C=CH, O=iketcp test, CN=T root")
#   DIR/T/int.pem	intermediate CA, signed by the root
#   DIR/T/a.crt, b.crt	end-entity certificates, signed by the intermediate
#   DIR/T/a.pem, b.pem	the same followed by int.pem: the chain iketcpd sends
#   DIR/T/a.key, b.key	their private keys (PKCS#8 PEM, mode 600)
#
# T is p256 (ECDSA P-256, SHA-256), p384 (ECDSA P-384, SHA-384), rsa
# (RSA-3072; every certificate signed with RSASSA-PSS, SHA-256) and ed25519.
# Every CA of a chain has the chain's key type.
#
# End entity a: subject "C=CH, O=iketcp test, CN=a.example", subjectAltName
# DNS:a.example, email:a@a.example, IP:192.0.2.1, IP:2001:db8::1; b likewise
# with b.example, b@b.example, 192.0.2.2, 2001:db8::2.
#
# Extras:
#   DIR/p256/c.crt/.key	signed by the root directly (a chain of one)
#   DIR/rsa/p.crt/.pem/.key	an RSA-PSS key (id-RSASSA-PSS, 2048 bits) with
#			the SANs of a, under the rsa intermediate
#   DIR/other/root.pem	an unrelated P-256 root (the wrong CA), and
#   DIR/other/a.crt/.pem/.key	an end entity "a.example" under it
#   DIR/p256/nosan.crt/.pem/.key	CN=a.example, no subjectAltName
#   DIR/rsa4096/	a chain of four RSA-4096 certificates (root, two
#			intermediates int.pem and int2.pem, end entities a and
#			b under int2): a.pem/b.pem carry three, a large IKE_AUTH
#
# Everything is valid from now for ten years (openssl 3.0's x509 cannot
# backdate): the VM's clock is the host's.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077
export OPENSSL_CONF=/dev/null	# no site defaults in what we make
O="/C=CH/O=iketcp test"

# key FILE TYPE
key() {
	case $2 in
	p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$1" ;;
	p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
		-out "$1" ;;
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 \
		-out "$1" ;;
	rsa4096) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 \
		-out "$1" ;;
	rsapss) openssl genpkey -algorithm RSA-PSS \
		-pkeyopt rsa_keygen_bits:2048 -out "$1" ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$1" ;;
	esac 2>/dev/null
}

# the signing options of a CA of type TYPE
sigopts() {
	case $1 in
	p256|other) echo "-sha256" ;;
	p384) echo "-sha384" ;;
	rsa|rsa4096) echo "-sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest" ;;
	ed25519) echo "" ;;
	esac
}

# extension sections: ca, and an end entity's: ee + its subjectAltName
{
	printf '[ca]\nbasicConstraints = critical, CA:TRUE\n'
	printf 'keyUsage = critical, keyCertSign, cRLSign\n'
	printf 'subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n'
	for e in "a 1" "b 2" "nosan"; do
		# shellcheck disable=SC2086
		set -- $e
		printf '[%s]\nbasicConstraints = CA:FALSE\n' "$1"
		printf 'keyUsage = critical, digitalSignature\n'
		printf 'subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n'
		if [ $# = 2 ]; then
			printf 'subjectAltName = DNS:%s.example, email:%s@%s.example, IP:192.0.2.%s, IP:2001:db8::%s\n' \
				"$1" "$1" "$1" "$2" "$2"
		fi
	done
} > ext.cnf

serial=1000
# sign T SUBJECT KEY CA_PEM CA_KEY SECTION OUT
sign() {
	serial=$((serial + 1))
	openssl req -new -key "$3" -subj "$2" -out "$7.csr"
	# shellcheck disable=SC2046
	openssl x509 -req -in "$7.csr" -CA "$4" -CAkey "$5" -set_serial $serial \
		-days 3650 -extfile ext.cnf -extensions "$6" $(sigopts "$1") \
		-out "$7" 2>/dev/null
	rm -f "$7.csr"
}

# root T NAME: DIR/T/NAME.pem self-signed
root() {
	key "$1/$2.key" "$1"
	# shellcheck disable=SC2046
	openssl req -x509 -new -key "$1/$2.key" -subj "$O/CN=$1 $2" \
		-days 3650 -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-addext "subjectKeyIdentifier=hash" $(sigopts "$1") \
		-out "$1/$2.pem"
}

# ee T NAME SECTION CN CA: end entity NAME under CA (int or root)
ee() {
	key "$1/$2.key" "${6:-$1}"
	sign "$1" "$O/CN=$4" "$1/$2.key" "$1/$5.pem" "$1/$5.key" "$3" "$1/$2.crt"
	if [ "$5" != root ]; then
		cat "$1/$2.crt" "$1/$5.pem" > "$1/$2.pem"
	else
		cp "$1/$2.crt" "$1/$2.pem"
	fi
}

for t in p256 p384 rsa ed25519; do
	mkdir -p "$t"
	root "$t" root
	key "$t/int.key" "$t"
	sign "$t" "$O/CN=$t intermediate" "$t/int.key" "$t/root.pem" \
		"$t/root.key" ca "$t/int.pem"
	ee "$t" a a a.example int
	ee "$t" b b b.example int
done
ee p256 c a a.example root
ee p256 nosan nosan a.example int
ee rsa p a a.example int rsapss

# root -> int -> int2 -> a, b (RSA-4096)
t=rsa4096
mkdir -p $t
root $t root
key $t/int.key $t
sign $t "$O/CN=$t intermediate" $t/int.key $t/root.pem $t/root.key ca $t/int.pem
key $t/int2.key $t
sign $t "$O/CN=$t intermediate 2" $t/int2.key $t/int.pem $t/int.key ca $t/int2.pem
for e in a b; do
	ee $t $e $e $e.example int2
	cat $t/int.pem >> $t/$e.pem
done

mkdir -p other
key other/root.key p256
openssl req -x509 -new -key other/root.key -subj "$O/CN=other root" \
	-days 3650 -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" -sha256 \
	-out other/root.pem
ee other a a a.example root p256
rm -f ext.cnf
chmod 644 ./*/*.pem ./*/*.crt
