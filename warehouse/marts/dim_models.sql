-- One row per canonical model: Hub models (with or without a readable model_info), then the Epoch
-- and Ecosystem Graphs models that matched no Hub model. Attributes come from the Hub first, then
-- Epoch, then Ecosystem Graphs.
WITH ids AS (
    SELECT model_id, list_sort(list_distinct(list(source))) AS sources
    FROM int_model_aliases
    GROUP BY model_id
),

hf AS (
    SELECT * FROM stg_hf__models
),

epoch AS (
    SELECT a.model_id, e.*
    FROM int_model_aliases AS a
    JOIN stg_epoch__models AS e ON a.source = 'epoch' AND a.name = e.model
    QUALIFY row_number() OVER (PARTITION BY a.model_id ORDER BY e.publication_date NULLS LAST, e.model) = 1
),

eg AS (
    SELECT a.model_id, g.*
    FROM int_model_aliases AS a
    JOIN stg_ecosystem__assets AS g ON a.source = 'ecosystem_graphs' AND a.name = g.name AND g.asset_type = 'model'
    QUALIFY row_number() OVER (PARTITION BY a.model_id ORDER BY g.created_date NULLS LAST, g.name) = 1
),

orgs AS (
    SELECT lower(alias) AS alias, organisation FROM {{ seed('model_org_aliases') }}
),

joined AS (
    SELECT
        ids.model_id,
        coalesce(epoch.model, eg.name, CASE WHEN ids.model_id LIKE '%/%' THEN split_part(ids.model_id, '/', 2) END,
                 ids.model_id) AS model_name,
        coalesce(hf.author, CASE WHEN ids.model_id LIKE '%/%' AND ids.model_id NOT LIKE 'epoch:%'
                                      AND ids.model_id NOT LIKE 'eg:%' THEN split_part(ids.model_id, '/', 1) END,
                 epoch.organization[1], eg.organization) AS raw_organisation,
        coalesce(CAST(hf.created_at AS DATE), epoch.publication_date, eg.created_date) AS created_date,
        hf.pipeline_tag,
        hf.library_name,
        hf.model_type,
        list_sort(list_distinct(list_concat(coalesce(hf.arxiv_ids, []),
                                            CASE WHEN epoch.arxiv_id IS NULL THEN [] ELSE [epoch.arxiv_id] END)))
            AS arxiv_ids,
        epoch.domain AS epoch_domains,
        hf.downloads,
        hf.likes,
        hf.info_status,
        hf.tree_root,
        CASE WHEN 'hf' = ANY(ids.sources) OR 'hf_link' = ANY(ids.sources) THEN 'hf'
             WHEN 'epoch' = ANY(ids.sources) OR 'epoch_base' = ANY(ids.sources) THEN 'epoch'
             ELSE 'ecosystem_graphs' END AS source,
        ids.sources,
        epoch.model AS epoch_name,
        eg.name AS ecosystem_name
    FROM ids
    LEFT JOIN hf ON hf.model_id = ids.model_id
    LEFT JOIN epoch ON epoch.model_id = ids.model_id
    LEFT JOIN eg ON eg.model_id = ids.model_id
),

final AS (
    SELECT
        j.model_id,
        j.model_name,
        coalesce(o.organisation, j.raw_organisation) AS organisation,
        j.raw_organisation,
        j.created_date,
        CAST(year(j.created_date) AS INTEGER) AS created_year,
        coalesce(f.family, 'other') AS family,
        coalesce(f.family_source, 'none') AS family_source,
        j.pipeline_tag,
        j.library_name,
        j.model_type,
        j.arxiv_ids,
        j.epoch_domains,
        j.downloads,
        j.likes,
        j.info_status,
        j.tree_root,
        j.source,
        j.sources,
        j.epoch_name,
        j.ecosystem_name
    FROM joined AS j
    LEFT JOIN orgs AS o ON o.alias = lower(trim(j.raw_organisation))
    LEFT JOIN int_model_families AS f ON f.model_id = j.model_id
)

SELECT * FROM final ORDER BY model_id
