package dataset

// The datasets of rigid spending (刚性支出) and recusal (回避) of issue 13:
// students and their fees (教育), rehabilitation services paid by the
// family (残联康复), and the relatives that assistance staff and village
// cadres have declared (近亲属备案).

// schoolLevelAliases name a school level (学段) as education bureaus and
// student-aid systems (学生资助管理信息系统) print them.
var schoolLevelAliases = map[string]string{
	"学前": "preschool", "学前教育": "preschool", "幼儿园": "preschool", "学前班": "preschool",
	"小学": "primary", "义务教育小学": "primary", "小学阶段": "primary",
	"初中": "junior", "初级中学": "junior", "义务教育初中": "junior", "初中阶段": "junior",
	"高中": "senior", "普通高中": "senior", "高级中学": "senior", "完全中学": "senior",
	"中职": "vocational", "中等职业教育": "vocational", "中专": "vocational", "职高": "vocational", "技工学校": "vocational", "中等职业学校": "vocational",
	"高等教育": "college", "大学": "college", "本科": "college", "专科": "college", "大专": "college", "高职": "college",
	"高职（专科）": "college", "高职(专科)": "college", "研究生": "college", "硕士研究生": "college", "博士研究生": "college",
}

// staffRoleAliases: who declared the relative — staff who handle social
// assistance (乡镇民政助理员, 社工站, the county bureau) or a village or
// community cadre (村“两委”成员).
var staffRoleAliases = map[string]string{
	"社会救助经办人员": "assistance_staff", "经办人员": "assistance_staff", "民政干部": "assistance_staff",
	"民政工作人员": "assistance_staff", "民政助理员": "assistance_staff", "乡镇民政助理员": "assistance_staff",
	"社工站工作人员": "assistance_staff", "社会救助工作人员": "assistance_staff", "民政经办人员": "assistance_staff",
	"村干部": "village_cadre", "村（社区）干部": "village_cadre", "村(社区)干部": "village_cadre", "社区干部": "village_cadre",
	"村两委成员": "village_cadre", "村“两委”成员": "village_cadre", "村支书": "village_cadre", "村党支部书记": "village_cadre",
	"村主任": "village_cadre", "村委会主任": "village_cadre", "村委委员": "village_cadre", "村务监督委员会成员": "village_cadre",
}

// relationAliases: the close relatives (近亲属) a declaration names.
var relationAliases = map[string]string{
	"配偶": "spouse", "丈夫": "spouse", "妻子": "spouse", "夫": "spouse", "妻": "spouse",
	"父母": "parent", "父亲": "parent", "母亲": "parent", "父": "parent", "母": "parent", "继父": "parent", "继母": "parent",
	"子女": "child", "儿子": "child", "女儿": "child", "子": "child", "女": "child", "养子": "child", "养女": "child",
	"兄弟姐妹": "sibling", "兄弟": "sibling", "姐妹": "sibling", "哥哥": "sibling", "弟弟": "sibling", "姐姐": "sibling", "妹妹": "sibling",
	"祖父母": "grandparent", "外祖父母": "grandparent", "祖父": "grandparent", "祖母": "grandparent", "外祖父": "grandparent", "外祖母": "grandparent",
	"孙子女": "grandchild", "外孙子女": "grandchild", "孙子": "grandchild", "孙女": "grandchild", "外孙": "grandchild", "外孙女": "grandchild",
	"儿媳": "in_law", "女婿": "in_law", "公公": "in_law", "婆婆": "in_law", "岳父": "in_law", "岳母": "in_law", "公婆": "in_law", "岳父母": "in_law",
	"其他": "other", "其他近亲属": "other",
}

func init() {
	register(withChecks(withLinkage(&Dataset{
		Name: "students", Doc: "在校学生及学费（教育）students and their fees",
		Fields: []Field{
			{Name: "id_number", Type: ID, Required: true, Doc: "学生身份证号"},
			{Name: "school", Type: String, Doc: "学校名称"},
			{Name: "level", Type: Enum, Required: true, Values: []string{"preschool", "primary", "junior", "senior", "vocational", "college"},
				Aliases: schoolLevelAliases, Doc: "学段"},
			{Name: "enrolled_date", Type: Date, Required: true, Doc: "入学日期"},
			{Name: "left_date", Type: Date, OpenEnd: true, Doc: "离校日期（毕业、退学、转出）"},
			{Name: "fees_yearly", Type: Money, Doc: "学费和住宿费（元/学年）"},
		},
		Key: []string{"id_number", "school", "level", "enrolled_date", "left_date"},
	}, "学生姓名"), nonNegative("fees_yearly"), notBefore("left_date", "enrolled_date")))

	register(withChecks(withLinkage(&Dataset{
		Name: "rehabilitation", Doc: "康复服务（残联）rehabilitation services and what the family paid",
		Fields: []Field{
			{Name: "id_number", Type: ID, Required: true, Doc: "身份证号"},
			{Name: "service_date", Type: Date, Required: true, Doc: "服务（结算）日期"},
			{Name: "item", Type: String, Doc: "康复项目"},
			{Name: "total_cost", Type: Money, Doc: "费用合计（元）"},
			{Name: "self_paid", Type: Money, Required: true, Doc: "个人负担（元）"},
		},
		Key: []string{"id_number", "service_date", "item"},
	}, "姓名"), nonNegative("total_cost"), nonNegative("self_paid"), notMore("self_paid", "total_cost")))

	register(withChecks(&Dataset{
		Name: "staff_relatives", Doc: "经办人员和村（社区）干部近亲属备案（民政）relatives declared by assistance staff and village cadres",
		Fields: []Field{
			{Name: "id_number", Type: ID, Required: true, Doc: "近亲属身份证号"},
			{Name: "staff_id_number", Type: ID, Required: true, Doc: "工作人员（村干部）身份证号"},
			{Name: "staff_role", Type: Enum, Required: true, Values: []string{"assistance_staff", "village_cadre"},
				Aliases: staffRoleAliases, Doc: "人员类别"},
			{Name: "staff_unit_code", Type: Code, Required: true, Digits: []int{6, 9, 12}, Doc: "工作单位区划代码（县6位、乡镇9位、村12位）"},
			{Name: "relation", Type: Enum, Values: []string{"spouse", "parent", "child", "sibling", "grandparent", "grandchild", "in_law", "other"},
				Aliases: relationAliases, Doc: "与工作人员关系"},
			{Name: "registered_date", Type: Date, Doc: "备案日期"},
			{Name: "ended_date", Type: Date, OpenEnd: true, Doc: "备案终止日期（离任）"},
		},
		Key: []string{"id_number", "staff_id_number", "staff_role", "staff_unit_code", "relation", "registered_date", "ended_date"},
	}, differ("id_number", "staff_id_number"), notBefore("ended_date", "registered_date")))

}
