-- Papers whose citation window is complete (a truncated window biases CD towards 0).
WITH final AS (SELECT family, cd FROM ind_cd_index WHERE cd IS NOT NULL AND window_complete)
SELECT * FROM final
