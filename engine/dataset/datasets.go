package dataset

// The canonical datasets of DESIGN.md. Aliases cover how departments
// commonly write each value; a source's config may add its own.

// genderAliases include the names and codes of GB/T 2261.1 (1 男性, 2 女性).
var genderAliases = map[string]string{
	"男": "male", "女": "female", "m": "male", "f": "female", "1": "male", "2": "female",
	"男性": "male", "女性": "female",
}

var registryStatusAliases = map[string]string{
	"正常": "active", "在册": "active", "有效": "active", "户籍正常": "active",
	"死亡": "deceased", "已死亡": "deceased", "死亡注销": "deceased",
	"注销": "cancelled", "已注销": "cancelled", "迁出": "cancelled", "迁出注销": "cancelled",
}

var assistanceCategoryAliases = map[string]string{
	"低保": "dibao", "最低生活保障": "dibao", "城乡低保": "dibao", "城市低保": "dibao", "农村低保": "dibao",
	"特困": "tekun", "特困人员": "tekun", "特困供养": "tekun", "特困供养人员": "tekun",
	"低边": "dibian", "低保边缘": "dibian", "低保边缘家庭": "dibian",
	"刚性支出困难": "rigid", "支出型困难": "rigid", "刚性支出困难家庭": "rigid",
	"防止返贫监测": "fangfan", "防返贫监测": "fangfan", "监测对象": "fangfan",
	"其他": "other", "其他困难人员": "other",
}

var disabilityCategoryAliases = map[string]string{
	"视力": "1", "视力残疾": "1", "听力": "2", "听力残疾": "2", "言语": "3", "言语残疾": "3",
	"肢体": "4", "肢体残疾": "4", "智力": "5", "智力残疾": "5", "精神": "6", "精神残疾": "6",
	"多重": "7", "多重残疾": "7",
}

var disabilityLevelAliases = map[string]string{
	"一级": "1", "二级": "2", "三级": "3", "四级": "4",
	"1级": "1", "2级": "2", "3级": "3", "4级": "4",
	"壹级": "1", "贰级": "2", "叁级": "3", "肆级": "4",
}

var disabilityStatusAliases = map[string]string{
	"有效": "valid", "正常": "valid", "注销": "revoked", "已注销": "revoked", "收回": "revoked",
	"过期": "expired", "已过期": "expired",
}

var employmentEventAliases = map[string]string{
	"失业登记": "unemployed", "登记失业": "unemployed", "失业": "unemployed",
	"就业登记": "employed", "就业": "employed", "再就业": "employed",
	"领取失业保险金": "benefit_start", "失业金开始": "benefit_start", "开始领取失业保险金": "benefit_start",
	"停发失业保险金": "benefit_end", "失业金终止": "benefit_end", "失业保险金停发": "benefit_end",
}

var resettlementAliases = map[string]string{
	"就业": "employed", "务工": "employed", "转产就业": "employed",
	"自主创业": "self_employed", "自主经营": "self_employed", "创业": "self_employed",
	"公益性岗位": "welfare_job", "公益岗位": "welfare_job",
	"未就业": "unemployed", "未安置": "unemployed", "无": "unemployed",
	"退休": "retired", "养老": "retired", "已退休": "retired",
}

// boolAliases apply to every Bool field.
var boolAliases = map[string]string{
	"是": "true", "否": "false", "已参保": "true", "未参保": "false", "参保": "true",
	"有": "true", "无": "false", "y": "true", "n": "false", "yes": "true", "no": "false",
	"true": "true", "false": "false", "1": "true", "0": "false", "t": "true", "f": "false",
}

func init() {
	register(&Dataset{
		Name: "registry", Doc: "户籍人口（公安）household registry",
		Fields: []Field{
			{Name: "id_number", Type: ID, Required: true, Doc: "公民身份号码"},
			{Name: "name", Type: String, Required: true, Doc: "姓名"},
			{Name: "gender", Type: Enum, Values: []string{"male", "female"}, Aliases: genderAliases, Doc: "性别"},
			{Name: "birth_date", Type: Date, Doc: "出生日期"},
			{Name: "household_id", Type: String, Identifier: true, Required: true, Doc: "户号"},
			{Name: "relation", Type: String, Doc: "与户主关系"},
			{Name: "township_code", Type: Code, Required: true, Digits: []int{9}, Doc: "乡镇（街道）代码"},
			{Name: "village_code", Type: Code, Digits: []int{12}, Doc: "村（社区）代码"},
			{Name: "address", Type: String, Doc: "住址"},
			{Name: "status", Type: Enum, Values: []string{"active", "deceased", "cancelled"}, Aliases: registryStatusAliases, Doc: "人员状态"},
			{Name: "status_date", Type: Date, Doc: "状态变更日期"},
		},
		Key: []string{"id_number", "household_id", "township_code", "village_code", "status", "status_date"},
	})
	register(withChecks(&Dataset{
		Name: "households", Doc: "家庭收入核定（民政）household income assessments",
		Fields: []Field{
			{Name: "household_id", Type: String, Identifier: true, Required: true, Doc: "户号"},
			{Name: "annual_income", Type: Money, Doc: "家庭年收入（元）"},
			{Name: "members", Type: Int, Doc: "家庭人口"},
			{Name: "income_assessed_date", Type: Date, Doc: "收入核定日期"},
		},
		Key: []string{"household_id", "income_assessed_date"},
	}, nonNegative("annual_income")))

	register(withLinkage(&Dataset{
		Name: "assistance", Doc: "救助对象名册（民政）assistance roster",
		Fields: []Field{
			{Name: "id_number", Type: ID, Required: true, Doc: "身份证号"},
			{Name: "household_id", Type: String, Identifier: true, Doc: "户号"},
			{Name: "category", Type: Enum, Required: true, Values: []string{"dibao", "tekun", "dibian", "rigid", "fangfan", "other"}, Aliases: assistanceCategoryAliases, Doc: "救助类别"},
			{Name: "start_date", Type: Date, Required: true, Doc: "开始日期"},
			{Name: "end_date", Type: Date, OpenEnd: true, Doc: "结束日期"},
			{Name: "amount_monthly", Type: Money, Doc: "月救助金额（元）"},
		},
		Key: []string{"id_number", "category", "start_date", "end_date"},
	}, "姓名"))
	register(withLinkage(&Dataset{
		Name: "medical", Doc: "医保结算（医保局）medical settlements",
		Fields: []Field{
			{Name: "claim_id", Type: String, Identifier: true, Required: true, Doc: "结算单号"},
			{Name: "id_number", Type: ID, Required: true, Doc: "身份证号"},
			{Name: "settle_date", Type: Date, Required: true, Doc: "结算日期"},
			{Name: "hospital", Type: String, Doc: "医疗机构"},
			{Name: "total_cost", Type: Money, Required: true, Doc: "医疗总费用"},
			{Name: "fund_paid", Type: Money, Doc: "统筹基金支付"},
			{Name: "critical_illness_paid", Type: Money, Doc: "大病保险支付"},
			{Name: "assistance_paid", Type: Money, Doc: "医疗救助支付"},
			{Name: "out_of_pocket", Type: Money, Required: true, Doc: "个人自付"},
		},
		Key: []string{"claim_id"},
	}, "姓名（参保人）"))
	register(withLinkage(&Dataset{
		Name: "disability", Doc: "残疾人证（残联）disability certificates",
		Fields: []Field{
			{Name: "id_number", Type: ID, Required: true, Doc: "身份证号"},
			{Name: "cert_number", Type: String, Identifier: true, Doc: "残疾人证号"},
			{Name: "category", Type: Enum, Required: true, Values: []string{"1", "2", "3", "4", "5", "6", "7"}, Aliases: disabilityCategoryAliases, Doc: "残疾类别"},
			{Name: "level", Type: Enum, Required: true, Values: []string{"1", "2", "3", "4"}, Aliases: disabilityLevelAliases, Doc: "残疾等级"},
			{Name: "issued_date", Type: Date, Required: true, Doc: "发证日期"},
			{Name: "status", Type: Enum, Values: []string{"valid", "revoked", "expired"}, Aliases: disabilityStatusAliases, Doc: "证件状态"},
		},
		Key: []string{"id_number", "cert_number", "category", "level", "issued_date", "status"},
	}, "姓名"))
	register(withLinkage(&Dataset{
		Name: "employment", Doc: "就业失业登记（人社局）employment records",
		Fields: []Field{
			{Name: "id_number", Type: ID, Required: true, Doc: "身份证号"},
			{Name: "event", Type: Enum, Required: true, Values: []string{"unemployed", "employed", "benefit_start", "benefit_end"}, Aliases: employmentEventAliases, Doc: "业务类型"},
			{Name: "event_date", Type: Date, Required: true, Doc: "业务日期"},
		},
		Key: []string{"id_number", "event", "event_date"},
	}, "姓名"))
	register(withLinkage(&Dataset{
		Name: "fishers", Doc: "退捕渔民（农业农村局）retired Yangtze fishers",
		Fields: []Field{
			{Name: "id_number", Type: ID, Required: true, Doc: "身份证号"},
			{Name: "household_id", Type: String, Identifier: true, Doc: "户号"},
			{Name: "boat_cert", Type: String, Identifier: true, Doc: "渔船证号"},
			{Name: "retired_date", Type: Date, Required: true, Doc: "退捕日期"},
			{Name: "resettlement", Type: Enum, Required: true, Values: []string{"employed", "self_employed", "welfare_job", "unemployed", "retired"}, Aliases: resettlementAliases, Doc: "安置去向"},
			{Name: "pension_insured", Type: Bool, Doc: "是否参加养老保险"},
		},
		Key: []string{"id_number", "retired_date", "resettlement", "pension_insured"},
	}, "姓名"))
	all["medical"].Check = checkMedical(all["medical"])
}
