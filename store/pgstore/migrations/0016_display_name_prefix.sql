-- displayName sw: a range of this index (LIKE 'x%' on a "C" column, the
-- pattern known when the statement is planned), instead of the trigram
-- index, whose trigrams every name with the same start shares ("Person
-- 0000001 ...": a prefix of one name intersected posting lists of the
-- whole directory).
CREATE INDEX directory_users_display_name ON directory_users (directory_id, display_name_lower);
