-- youcheng registry schema: the single source of the database layout.
-- store.RegistryWriter runs this file on an empty temporary database, fills it,
-- creates the indexes at the end (faster for bulk loads) and renames it into place.
-- After a build the file is only ever opened read-only.
-- CHECKs list allowed values with OR, not IN (...): SQLite builds a temporary table for
-- an IN list every time the insert statement runs, which made each partnership insert
-- take about twice as long (benchmarks/README.md).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL               -- schema_version, youcheng_version, built_at
);

-- One row per page that went into the build.
CREATE TABLE sources (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,     -- file name, as in partnerships.source
    format  TEXT NOT NULL,            -- source format (youcheng.sources), e.g. 'wikimd'
    sha256  TEXT NOT NULL,
    lines   INTEGER NOT NULL,
    bytes   INTEGER NOT NULL,
    records   INTEGER NOT NULL DEFAULT 0,  -- partnerships read from it
    anomalies INTEGER NOT NULL DEFAULT 0,  -- rows skipped or partly read (anomalies of the reader)
    origin    TEXT,                   -- where the file was taken from (its <!-- source: --> line, catalog)
    snapshot  TEXT,                   -- the date of the text, as far as known
    licence   TEXT,
    attribution TEXT
);

-- Places on either side of a relationship. Ids are ours and stable across builds.
CREATE TABLE places (
    id              TEXT PRIMARY KEY,
    side            TEXT NOT NULL CHECK (side = 'cn' OR side = 'foreign'),
    name            TEXT NOT NULL,    -- display name, as first written
    name_simplified TEXT,
    name_pinyin     TEXT,
    name_en         TEXT,
    link            TEXT,             -- wiki page title the source links to
    country         TEXT,             -- ISO 3166-1 alpha-2 ('CN' for Chinese places)
    kind            TEXT,             -- city, region, district, province, prefecture, county...
    code            TEXT,             -- GB/T 2260 for Chinese places
    province        TEXT,             -- Chinese province (display name) for Chinese places
    subdivision     TEXT,             -- ISO 3166-2 for foreign first-level regions
    geonames_id     INTEGER,
    lat             REAL,
    lon             REAL,
    parent_id       TEXT REFERENCES places(id),
    resolution      TEXT,             -- how the identity was decided (see resolve/)
    partnerships    INTEGER NOT NULL DEFAULT 0  -- relationships naming it on either side, counted
                                      -- while they arrive: search ranks thousands of matches of a
                                      -- two-letter query by it without counting each (20 -> 2 ms)
);

-- Every name a place is known by, folded for lookup (resolve/fold.py search_key).
CREATE TABLE place_names (
    key      TEXT NOT NULL,           -- search_key(name): NFKC, Simplified, case-folded, other scripts in
                                      -- Latin letters without diacritics (Köln, Koln, Кёльн: koln)
    place_id TEXT NOT NULL REFERENCES places(id),
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL,           -- where the name comes from (model.NAME_ORIGINS): written (in the
                                      -- source), converted (OpenCC), romanised (pypinyin), gazetteer
    PRIMARY KEY (key, place_id, name)
) WITHOUT ROWID;

-- Substring search without a tokenizer: every 1- and 2-character gram of every
-- name key. FTS5's default tokenizer does not split Chinese and its trigram
-- tokenizer cannot match two-character queries such as 武汉.
CREATE TABLE name_grams (
    gram     TEXT NOT NULL,
    rank     INTEGER NOT NULL,        -- the place's rank in search: 1 has the most partnerships, then
                                      -- by name and id, so a gram's best places are the first rows of its
                                      -- range (22,000 places share a common gram at a million names)
    place_id TEXT NOT NULL REFERENCES places(id),
    PRIMARY KEY (gram, rank)
) WITHOUT ROWID;

-- One row per relationship as a source states it, with where it states it: an attestation.
-- Several attestations of the same pair of places belong to one row of ``relationships``.
CREATE TABLE partnerships (
    id               TEXT NOT NULL,     -- stable: hash of source, both names, country, occurrence (unique: see indexes)
    source_id        INTEGER NOT NULL REFERENCES sources(id),
    source           TEXT NOT NULL,
    line             INTEGER NOT NULL,  -- 1-based line holding the partner
    section          TEXT NOT NULL,
    cn_id      TEXT NOT NULL REFERENCES places(id),
    cn_name          TEXT NOT NULL,
    cn_link          TEXT,
    cn_line          INTEGER,
    partner_id TEXT REFERENCES places(id),
    partner_name     TEXT,
    partner_link     TEXT,
    partner_links    TEXT NOT NULL,     -- JSON array of every partner link target, outermost first
    country_text     TEXT,
    country          TEXT,
    country_inferred INTEGER NOT NULL DEFAULT 0,  -- 1 when the page gives no country
    country_method   TEXT,              -- 'page' or 'inferred:<how the partner was resolved>'
    date             TEXT,              -- ISO at its precision
    date_precision   TEXT CHECK (date_precision = 'day' OR date_precision = 'month'
                                         OR date_precision = 'year'),
    date_text        TEXT,
    year             INTEGER,
    note             TEXT,
    cn_name_simplified      TEXT NOT NULL,
    partner_name_simplified TEXT,
    cn_level         TEXT,              -- province, prefecture, county, district (from GB/T 2260)
    province         TEXT,              -- the Chinese side's province (official name), for filtering
    tier             TEXT NOT NULL CHECK (tier = 'sister' OR tier = 'exchange' OR tier = 'intent'
                                          OR tier = 'domestic'),  -- model.Tier
    extra            TEXT,              -- JSON object of the source's other columns (signing_place...), or NULL
    relationship_id  TEXT NOT NULL      -- relationships.id (youcheng/relationships.py: relationship_id)
);

-- One row per relationship: a pair of resolved places (Chinese place, partner) and every
-- attestation of it, derived at the end of a build (youcheng/relationships.py: derive).
-- A statement whose places are not both resolved is a relationship of its own (matched = 0),
-- never merged with another on a guess. tier, country and date are one attestation's
-- values chosen by relationships.py's rule; conflicts names every source's differing value.
CREATE TABLE relationships (
    id             TEXT NOT NULL,     -- hash of the two place ids ('s' + hash of the attestation id if unmatched)
    cn_id          TEXT NOT NULL,
    partner_id     TEXT,
    matched        INTEGER NOT NULL,  -- 1: both places resolved; 0: one statement alone
    tier           TEXT NOT NULL,
    country        TEXT,
    date           TEXT,
    date_precision TEXT,
    year           INTEGER,
    province       TEXT,
    cn_level       TEXT,
    attestations   INTEGER NOT NULL,  -- partnerships rows
    sources        INTEGER NOT NULL,  -- distinct sources among them
    chosen         TEXT NOT NULL,     -- partnerships.id whose date was chosen
    conflicts      TEXT,              -- JSON list of {field, values: [{value, source, line}]}, or NULL
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status = 'active' OR status = 'suspended'
                                                         OR status = 'ended'),
    status_since   TEXT,
    status_until   TEXT,
    status_note    TEXT,
    status_source  TEXT               -- the citation of data/relationship_status.csv; NULL: no source says otherwise
);

-- Relationship (and attestation) counts for every combination of the four stats dimensions,
-- written at the end of a build (store.RegistryWriter.commit). Statistics under country, province, level and year
-- filters sum a few thousand of these rows instead of grouping a million partnerships per request.
-- Registries built before this table existed have no such table; query.py then counts partnerships.
CREATE TABLE partnership_counts (
    country  TEXT,
    year     INTEGER,
    province TEXT,
    cn_level TEXT,
    tier     TEXT NOT NULL,
    n        INTEGER NOT NULL,        -- relationships (by their chosen values; may be 0)
    records  INTEGER NOT NULL         -- partnerships rows (attestations)
);

-- The same counts summed per dimension ('country', 'year', 'province', 'level'): the
-- unfiltered statistics, one indexed read each.
CREATE TABLE stat_counts (
    dimension TEXT NOT NULL,
    tier      TEXT NOT NULL,
    key,                              -- TEXT, or INTEGER for 'year'; NULL = not known
    n         INTEGER NOT NULL,       -- relationships
    records   INTEGER NOT NULL        -- partnerships rows (attestations)
);

-- What could not be read, or only partly.
CREATE TABLE anomalies (
    id        INTEGER PRIMARY KEY,
    source_id INTEGER REFERENCES sources(id),
    source    TEXT NOT NULL,
    line      INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    severity  TEXT NOT NULL CHECK (severity = 'error' OR severity = 'warning'
                                OR severity = 'info'),
    message   TEXT NOT NULL,
    text      TEXT NOT NULL
);

-- Kept up while rows arrive, not built at the end. A page lists a place's partners together
-- and in line order, so the first two take each row next to the last one (about 4 us a row
-- while rows arrive, 2 s at the end of a million-row build); level comes in runs too (a few
-- hundred places to insert at). The others are built at the end: kept up during the load
-- they make the build process, which resolves and stores, slower than the one that parses
-- (benchmarks/README.md, "Where the build time goes").
CREATE INDEX partnerships_cn ON partnerships (cn_id);
CREATE INDEX partnerships_source_line ON partnerships (source, line);
CREATE INDEX partnerships_level ON partnerships (cn_level, year);

-- @indexes (created after the bulk load)
-- The ids are hashes, in random order: one sorted pass at the end builds their index several
-- times faster than keeping a primary key in order while a million rows arrive.
CREATE UNIQUE INDEX partnerships_id ON partnerships (id);
CREATE INDEX partnerships_partner ON partnerships (partner_id);
CREATE INDEX partnerships_country ON partnerships (country, year);
-- Province and year: 5.6 us a row while a million rows arrive (in random places), 2.5 s here.
CREATE INDEX partnerships_province ON partnerships (province, year);
-- No index leads with year: a year-only filter skip-scans partnerships_level (five levels),
-- as fast as an index of its own, which would cost a million-row build 2 s more.
-- Covering what relationships.derive groups: at a million rows, building it and grouping the
-- index (2.8 s + 1.4 s) is quicker than a narrow index and grouping the rows (1.4 s + 6.3 s).
CREATE INDEX partnerships_relationship ON partnerships (relationship_id, cn_id, partner_id, tier, country, date,
                                                        date_precision, year, province, cn_level, id);
CREATE INDEX place_names_place ON place_names (place_id);
CREATE INDEX anomalies_source_line ON anomalies (source, line);
-- Covering: a filtered statistic reads only the index, never the table (a decade's four
-- breakdowns at a million partnerships: 219 ms reading the rows, 35 ms from these).
CREATE INDEX partnership_counts_country ON partnership_counts (country, year, province, cn_level, tier, n, records);
CREATE INDEX partnership_counts_province ON partnership_counts (province, year, country, cn_level, tier, n, records);
CREATE INDEX partnership_counts_level ON partnership_counts (cn_level, year, country, province, tier, n, records);
CREATE INDEX partnership_counts_year ON partnership_counts (year, country, province, cn_level, tier, n, records);
CREATE INDEX stat_counts_dimension ON stat_counts (dimension, tier);
-- Created once relationships.derive has filled the table. No index by country, province or
-- level: their counts come from partnership_counts, and three more indexes cost a million-row
-- build 6 s; a filtered page of relationships walks relationships_id until it has its rows.
CREATE UNIQUE INDEX relationships_id ON relationships (id);
CREATE INDEX relationships_cn ON relationships (cn_id);
CREATE INDEX relationships_partner ON relationships (partner_id);
CREATE INDEX relationships_conflicted ON relationships (id) WHERE conflicts IS NOT NULL;
CREATE INDEX relationships_status ON relationships (status) WHERE status != 'active';
