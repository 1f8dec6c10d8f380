package dataset

// The datasets of assets and employment that the integrity checks (应退尽退)
// and the provincial platforms' economic checks (家庭经济状况核对) draw on:
// vehicles (公安车管), real property (不动产登记), business registration
// (市场监管), social insurance and housing fund contributions (人社、公积金),
// and public employees (财政供养人员).

// vehicleTypeAliases follow the vehicle classes of GA 802 as registries
// print them (小型轿车, K33) and the words counties use. A disabled
// person's mobility vehicle, a motorcycle and a farm vehicle are types of
// their own: rules decide which of them bar assistance.
var vehicleTypeAliases = map[string]string{
	"小型汽车": "car", "小型轿车": "car", "轿车": "car", "小型普通客车": "car", "小型越野客车": "car",
	"微型轿车": "car", "微型普通客车": "car", "中型普通客车": "car", "大型普通客车": "car", "客车": "car",
	"k31": "car", "k32": "car", "k33": "car", "k39": "car", "k41": "car", "k42": "car", "k43": "car", "k21": "car", "k11": "car",
	"小汽车": "car", "私家车": "car", "suv": "car", "越野车": "car", "面包车": "car",
	"货车": "truck", "轻型货车": "truck", "轻型普通货车": "truck", "重型货车": "truck", "中型货车": "truck",
	"微型货车": "truck", "轻型厢式货车": "truck", "h11": "truck", "h21": "truck", "h31": "truck", "h41": "truck",
	"摩托车": "motorcycle", "普通二轮摩托车": "motorcycle", "轻便二轮摩托车": "motorcycle", "普通正三轮摩托车": "motorcycle",
	"二轮摩托车": "motorcycle", "三轮摩托车": "motorcycle", "m21": "motorcycle", "m22": "motorcycle", "m11": "motorcycle",
	"残疾人机动轮椅车": "disabled_mobility", "残疾人专用车": "disabled_mobility", "残疾人摩托车": "disabled_mobility",
	"残疾人专用小型自动挡载客汽车": "disabled_mobility", "机动轮椅车": "disabled_mobility",
	"低速货车": "farm", "三轮汽车": "farm", "拖拉机": "farm", "农用车": "farm", "农用三轮车": "farm", "变型拖拉机": "farm",
	"n11": "farm", "t11": "farm", "t21": "farm",
	"其他": "other",
}

// vehicleStatusAliases follow GA 802's status letters (A 正常, E 注销, M
// 强制注销, P 达到报废标准, B 转出) and words.
var vehicleStatusAliases = map[string]string{
	"正常": "active", "a": "active", "在用": "active", "有效": "active",
	"注销": "cancelled", "已注销": "cancelled", "e": "cancelled", "强制注销": "cancelled", "m": "cancelled",
	"转出": "cancelled", "b": "cancelled", "转移登记": "cancelled",
	"报废": "scrapped", "已报废": "scrapped", "达到报废标准": "scrapped", "p": "scrapped", "强制报废": "scrapped",
}

// propertyUseAliases name a property's planned use (规划用途) as the
// registry's certificates print it.
var propertyUseAliases = map[string]string{
	"住宅": "residential", "成套住宅": "residential", "普通住宅": "residential", "城镇住宅": "residential",
	"农村宅基地": "residential", "宅基地": "residential", "农村住房": "residential", "住房": "residential", "公寓": "residential",
	"商业": "shop", "商铺": "shop", "商服": "shop", "商业服务": "shop", "门面": "shop", "商业用房": "shop", "店面": "shop",
	"车库": "garage", "车位": "garage", "储藏室": "garage", "地下车库": "garage", "停车位": "garage",
	"办公": "office", "写字楼": "office", "办公用房": "office",
	"工业": "industrial", "厂房": "industrial", "仓储": "industrial", "工业用房": "industrial",
	"其他": "other",
}

// propertyStatusAliases: a registration in force, cancelled (sold,
// 注销), or sealed (查封: still owned).
var propertyStatusAliases = map[string]string{
	"现势": "active", "有效": "active", "正常": "active", "查封": "active", "抵押": "active",
	"注销": "cancelled", "已注销": "cancelled", "历史": "cancelled", "已转移": "cancelled", "转移": "cancelled",
}

// businessTypeAliases: an enterprise, a 个体工商户, or a farmers'
// cooperative (农民专业合作社).
var businessTypeAliases = map[string]string{
	"企业": "enterprise", "有限责任公司": "enterprise", "股份有限公司": "enterprise", "公司": "enterprise",
	"个人独资企业": "enterprise", "合伙企业": "enterprise", "有限责任公司(自然人独资)": "enterprise", "有限责任公司（自然人独资）": "enterprise",
	"个体工商户": "individual", "个体": "individual", "个体户": "individual",
	"农民专业合作社": "cooperative", "合作社": "cooperative", "专业合作社": "cooperative",
}

// businessStatusAliases: the registration states of 国家企业信用信息公示系统.
var businessStatusAliases = map[string]string{
	"存续": "active", "在业": "active", "开业": "active", "正常": "active", "存续（在营、开业、在册）": "active", "存续(在营、开业、在册)": "active",
	"注销": "cancelled", "已注销": "cancelled", "吊销": "revoked", "已吊销": "revoked", "吊销，未注销": "revoked", "吊销,未注销": "revoked",
	"迁出": "cancelled", "歇业": "suspended", "停业": "suspended",
}

// insuranceSchemeAliases: the schemes whose contributions show work and
// its wage. 城乡居民养老保险 is paid by residents themselves and shows
// neither: it is its own scheme.
var insuranceSchemeAliases = map[string]string{
	"企业职工基本养老保险": "employee_pension", "职工养老保险": "employee_pension", "城镇职工基本养老保险": "employee_pension",
	"机关事业单位养老保险": "employee_pension", "养老保险": "employee_pension", "110": "employee_pension", "120": "employee_pension",
	"职工基本医疗保险": "employee_medical", "职工医保": "employee_medical", "310": "employee_medical",
	"失业保险": "unemployment", "210": "unemployment", "工伤保险": "injury", "410": "injury",
	"住房公积金": "housing_fund", "公积金": "housing_fund",
	"城乡居民基本养老保险": "resident_pension", "城乡居民养老保险": "resident_pension", "居民养老保险": "resident_pension", "170": "resident_pension",
}

// areaUnits are how a building area's unit is written after the number.
var areaUnits = []string{"平方米", "平米", "㎡", "m²", "m2", "M2"}

func init() {
	register(withChecks(withLinkage(&Dataset{
		Name: "vehicles", Doc: "机动车登记（公安车管）motor vehicle registrations",
		Fields: []Field{
			{Name: "plate", Type: String, Identifier: true, Required: true, Doc: "号牌号码"},
			{Name: "id_number", Type: ID, Required: true, Doc: "机动车所有人身份证号"},
			{Name: "vehicle_type", Type: Enum, Required: true, Values: []string{"car", "truck", "motorcycle", "disabled_mobility", "farm", "other"},
				Aliases: vehicleTypeAliases, Doc: "车辆类型"},
			{Name: "registered_date", Type: Date, Required: true, Doc: "初次登记日期"},
			{Name: "status", Type: Enum, Values: []string{"active", "cancelled", "scrapped"}, Aliases: vehicleStatusAliases, Doc: "机动车状态"},
			{Name: "cancelled_date", Type: Date, OpenEnd: true, Doc: "注销日期"},
		},
		Key: []string{"plate", "id_number", "registered_date", "status", "cancelled_date"},
	}, "机动车所有人姓名"), notBefore("cancelled_date", "registered_date")))

	register(withChecks(withLinkage(&Dataset{
		Name: "property", Doc: "不动产登记（自然资源/住建）real property registrations",
		Fields: []Field{
			{Name: "cert_number", Type: String, Identifier: true, Required: true, Doc: "不动产权证号"},
			{Name: "id_number", Type: ID, Required: true, Doc: "权利人身份证号"},
			{Name: "purpose", Type: Enum, Required: true, Values: []string{"residential", "shop", "garage", "office", "industrial", "other"},
				Aliases: propertyUseAliases, Doc: "规划用途"},
			{Name: "area", Type: Decimal, Units: areaUnits, Doc: "建筑面积（平方米）"},
			{Name: "registered_date", Type: Date, Required: true, Doc: "登记日期"},
			{Name: "status", Type: Enum, Values: []string{"active", "cancelled"}, Aliases: propertyStatusAliases, Doc: "登记状态"},
			{Name: "cancelled_date", Type: Date, OpenEnd: true, Doc: "注销日期"},
		},
		Key: []string{"cert_number", "id_number", "registered_date", "status", "cancelled_date"},
	}, "权利人姓名"), nonNegative("area"), notBefore("cancelled_date", "registered_date")))

	register(withChecks(withLinkage(&Dataset{
		Name: "business", Doc: "市场主体登记（市场监管）business registrations",
		Fields: []Field{
			{Name: "credit_code", Type: String, Identifier: true, Required: true, Doc: "统一社会信用代码（GB 32100）"},
			{Name: "id_number", Type: ID, Required: true, Doc: "法定代表人（经营者）身份证号"},
			{Name: "entity_type", Type: Enum, Required: true, Values: []string{"enterprise", "individual", "cooperative"},
				Aliases: businessTypeAliases, Doc: "主体类型"},
			{Name: "employees", Type: Int, Doc: "从业人数"},
			{Name: "status", Type: Enum, Required: true, Values: []string{"active", "suspended", "revoked", "cancelled"},
				Aliases: businessStatusAliases, Doc: "登记状态"},
			{Name: "established_date", Type: Date, Required: true, Doc: "成立日期"},
			{Name: "cancelled_date", Type: Date, OpenEnd: true, Doc: "注销（吊销）日期"},
		},
		Key: []string{"credit_code", "id_number", "entity_type", "employees", "status", "established_date", "cancelled_date"},
	}, "法定代表人（经营者）姓名"), nonNegative("employees"), notBefore("cancelled_date", "established_date")))

	register(withChecks(withLinkage(&Dataset{
		Name: "contributions", Doc: "社会保险和住房公积金缴费（人社、公积金中心）social insurance and housing fund contributions",
		Fields: []Field{
			{Name: "id_number", Type: ID, Required: true, Doc: "身份证号"},
			{Name: "scheme", Type: Enum, Required: true, Values: []string{"employee_pension", "employee_medical", "unemployment", "injury", "housing_fund", "resident_pension"},
				Aliases: insuranceSchemeAliases, Doc: "险种"},
			{Name: "employer", Type: String, Doc: "缴费单位"},
			{Name: "month", Type: Month, Required: true, Doc: "费款所属期（月）"},
			{Name: "base_monthly", Type: Money, Doc: "缴费基数（元/月）"},
		},
		Key: []string{"id_number", "scheme", "month", "employer"},
	}, "姓名"), nonNegative("base_monthly")))

	register(withChecks(withLinkage(&Dataset{
		Name: "public_employees", Doc: "财政供养人员（财政、编办）public employees",
		Fields: []Field{
			{Name: "id_number", Type: ID, Required: true, Doc: "身份证号"},
			{Name: "employer", Type: String, Doc: "工作单位"},
			{Name: "start_date", Type: Date, Required: true, Doc: "入职（供养起始）日期"},
			{Name: "end_date", Type: Date, OpenEnd: true, Doc: "离职（供养终止）日期"},
		},
		Key: []string{"id_number", "employer", "start_date", "end_date"},
	}, "姓名"), notBefore("end_date", "start_date")))

}
