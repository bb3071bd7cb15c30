#!/bin/sh
# Writes nginx's start page from the identity the builder put into the image.
set -eu
identity=/etc/imagepipeline/image.json
name=$(sed -n 's/.*"name": *"\([^"]*\)".*/\1/p' "$identity")
input=$(sed -n 's/.*"inputDigest": *"\([^"]*\)".*/\1/p' "$identity")
mkdir -p /var/www/html
cat > /var/www/html/index.html <<HTML
<!doctype html>
<title>$name</title>
<h1>$name</h1>
<p>Built by ImagePipeline from input digest <code>$input</code>.</p>
HTML
cp "$identity" /var/www/html/image.json
