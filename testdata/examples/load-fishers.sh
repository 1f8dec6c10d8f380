#!/usr/bin/env bash
# Puts the synthetic county's fishers register (testdata/county/fishers.csv)
# into a PostgreSQL database as the table the example config reads
# (testdata/examples/connectors.yaml: SELECT * FROM fishers_register WHERE 行号 > $1),
# with a 行号 column numbering the rows in file order, for the watermark.
#
#   eval "$(bash .ci/postgres.sh | tail -1)"                  # a throwaway server: LIPWATCH_TEST_PG_URL
#   bash testdata/examples/load-fishers.sh "$LIPWATCH_TEST_PG_URL"
#
# Needs psql (Debian: postgresql-client, which the postgresql package brings).
set -euo pipefail
url="${1:?usage: load-fishers.sh POSTGRES_URL}"
csv="$(cd "$(dirname "$0")/../county" && pwd)/fishers.csv"
header=$(head -1 "$csv" | sed -e '1s/^\xEF\xBB\xBF//' -e 's/\r$//')
cols=""
IFS=, read -ra names <<<"$header"
for n in "${names[@]}"; do
	cols+="${cols:+, }\"$n\" text"
done
list=$(printf '"%s",' "${names[@]}")
psql "$url" -v ON_ERROR_STOP=1 -q <<SQL
DROP TABLE IF EXISTS fishers_register;
CREATE TABLE fishers_register (行号 bigserial, $cols);
\copy fishers_register(${list%,}) FROM '$csv' WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')
SQL
echo "load-fishers.sh: $(psql "$url" -tAc 'SELECT count(*) FROM fishers_register') rows in fishers_register" >&2
