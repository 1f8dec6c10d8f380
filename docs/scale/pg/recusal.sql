WITH reg AS (SELECT * FROM registry_current WHERE (coalesce(status, 'active') = 'active' OR coalesce(status_date > as_of(), false))), d AS (
  -- each declaration period (a pair and its 备案日期) from its row that ended it, else its newest row:
  -- a 终止 is never undone by the open row sent again, in whatever order the file lists them
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY id_number, staff_id_number, registered_date   -- rewrite: QUALIFY
                                 ORDER BY ended_date IS NULL, _load_id DESC, _position DESC) AS rn
    FROM staff_relatives) x
  WHERE rn = 1
), f AS (   -- the periods in force on as_of (a pair with any)
  SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY id_number, staff_id_number ORDER BY registered_date DESC NULLS LAST) AS rn2   -- rewrite: QUALIFY
    FROM d
    WHERE (registered_date IS NULL OR registered_date <= as_of()) AND (ended_date IS NULL OR ended_date > as_of())) y
  WHERE rn2 = 1
), link AS (   -- each member tied to a declaration, as the relative or as the staff member
  SELECT reg.household_id, reg.township_code, reg.village_code, f.staff_role, f.staff_unit_code,
         coalesce(f.relation, 'other') AS relation
  FROM reg JOIN f ON f.id_number = reg.id_number
  UNION ALL
  SELECT reg.household_id, reg.township_code, reg.village_code, f.staff_role, f.staff_unit_code, 'self'
  FROM reg JOIN f ON f.staff_id_number = reg.id_number
), w AS (
  SELECT *,
         staff_role = 'assistance_staff' AND length(staff_unit_code) >= 9
           AND left(staff_unit_code, 9) = township_code AS township_staff,
         staff_role = 'village_cadre' AND staff_unit_code = village_code AS own_village_cadre,
         CASE WHEN staff_role = 'assistance_staff' THEN
                CASE WHEN length(staff_unit_code) >= 9 AND left(staff_unit_code, 9) = township_code THEN '户籍所在乡镇的社会救助经办人员'
                     WHEN length(staff_unit_code) = 6 THEN '县级社会救助经办人员'
                     ELSE '其他乡镇社会救助经办人员' END
              ELSE CASE WHEN staff_unit_code = village_code THEN '本村（社区）干部' ELSE '其他村（社区）干部' END
         END AS who
  FROM link
), p AS (
  SELECT *, CASE relation
           WHEN 'self' THEN '家庭成员本人为' || who
           ELSE '家庭成员为' || who || '的' || CASE relation
               WHEN 'spouse' THEN '配偶' WHEN 'parent' THEN '父母' WHEN 'child' THEN '子女'
               WHEN 'sibling' THEN '兄弟姐妹' WHEN 'grandparent' THEN '祖父母、外祖父母'
               WHEN 'grandchild' THEN '孙子女、外孙子女' WHEN 'in_law' THEN '姻亲' ELSE '近亲属' END
         END AS phrase
  FROM w
)
SELECT household_id,
       true AS related,
       bool_or(township_staff) AS township_staff,
       bool_or(own_village_cadre) AS own_village_cadre,
       string_agg(DISTINCT phrase, '；' ORDER BY phrase) AS detail
FROM p
GROUP BY household_id
