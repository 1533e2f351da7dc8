-- Fallback when no paper has a complete window yet (a young corpus): every paper with a CD index.
WITH final AS (SELECT family, cd FROM ind_cd_index WHERE cd IS NOT NULL)
SELECT * FROM final
