#!/bin/sh
# Rendered by `npm run synth` from deploy/spillway.ts (movePath): do not edit. Run by spillway-move-firewall.service after Docker starts; idempotent.
set -eu
iptables -t filter -C DOCKER-USER -m conntrack --ctorigdst 10.255.0.1 --ctstate NEW -m policy --dir in --pol none -j DROP 2>/dev/null || iptables -t filter -I DOCKER-USER -m conntrack --ctorigdst 10.255.0.1 --ctstate NEW -m policy --dir in --pol none -j DROP
iptables -t filter -C DOCKER-USER -m conntrack --ctorigdst 10.255.0.1 --ctstate NEW ! -s 10.0.0.0/16 -j DROP 2>/dev/null || iptables -t filter -I DOCKER-USER -m conntrack --ctorigdst 10.255.0.1 --ctstate NEW ! -s 10.0.0.0/16 -j DROP
iptables -t nat -C POSTROUTING -d 10.0.0.0/16 ! -s 10.255.0.1 -j SNAT --to-source 10.255.0.1 2>/dev/null || iptables -t nat -I POSTROUTING -d 10.0.0.0/16 ! -s 10.255.0.1 -j SNAT --to-source 10.255.0.1
