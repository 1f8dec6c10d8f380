package gen

import (
	"math/rand/v2"
	"strings"
)

// Word lists for names, places and institutions. Every character is in GBK,
// because registry.csv is GBK-encoded.

// surnames are the common Chinese surnames, most frequent first; pick()
// favours the front of the list.
var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")

var maleGiven = []rune("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林峰建国文志海东兴良成福生发春德永庆金山顺")
var femaleGiven = []rune("芳娜敏静丽艳娟霞秀玲桂英兰凤萍红梅琳燕洁婷雪慧颖倩欣悦怡佳晶莉琴云珍翠花霞")

// Older people carry the names of their generation.
var maleOld = []string{"德胜", "建国", "国强", "永福", "长林", "守财", "大山", "有才", "明德", "福生", "春生", "家宝", "志华", "保国", "树林"}
var femaleOld = []string{"桂兰", "秀英", "玉兰", "秀兰", "桂英", "凤英", "兰英", "淑珍", "桂芳", "素芬", "秀珍", "翠花", "玉珍", "春花", "秀梅"}

// Children born after 2005 carry the names of theirs.
var maleYoung = []string{"子轩", "浩然", "梓涵", "宇轩", "一诺", "俊熙", "沐宸", "梓睿", "子墨", "皓轩", "奕辰", "宇航", "博文", "思远", "浩宇"}
var femaleYoung = []string{"梓涵", "一诺", "欣怡", "语桐", "若汐", "诗涵", "雨桐", "可馨", "梓萱", "思彤", "紫涵", "依诺", "佳怡", "雨萱", "芷若"}

// Villages are named after a family or a landmark plus a place word.
var villageFirst = []rune("张李王刘陈杨黄赵周吴高何朱胡孙马郭徐罗宋唐韩冯董汪叶")
var villagePlace = []rune("庄湾岗集楼店圩桥洼寨营坝岭冲塘港畈")
var villagePrefix = []string{"", "", "", "大", "小", "前", "后", "东", "西", "新"}

// Communities (社区) in the county town and townships' seats.
var communityNames = []string{"东关", "西关", "南街", "北街", "新华", "建设", "人民", "解放", "幸福", "和平", "文昌", "朝阳", "花园", "滨河", "振兴", "光明", "团结", "育才", "龙泉", "金桥"}
var streetNames = []string{"建设路", "人民路", "解放路", "文化路", "中山路", "胜利街", "育才路", "长江路", "淮河路", "健康路"}

var groupNumerals = []string{"一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"}

// hospitals settle claims: most in the county, a few in the city.
var hospitals = []string{
	"示例县人民医院", "示例县人民医院", "示例县中医院", "示例县中医院", "示例县妇幼保健院",
	"城关镇卫生院", "河口乡卫生院", "东山镇中心卫生院", "桃花镇卫生院", "白沙镇中心卫生院",
	"示例市第一人民医院", "示例市第二人民医院", "省立医院", "省肿瘤医院",
}

var employmentOffices = []string{"示例县公共就业服务中心", "示例县人力资源和社会保障局", "城关镇劳动保障所", "河口乡劳动保障所", "东山镇人社服务中心", "桃花镇人社服务中心"}

// pickRune favours the front of a frequency-ordered list.
func pickRune(r *rand.Rand, list []rune) rune {
	a, b := r.IntN(len(list)), r.IntN(len(list))
	return list[min(a, b)]
}

// givenName draws a given name fitting gender and birth year.
func givenName(r *rand.Rand, male bool, birthYear int) string {
	switch {
	case birthYear < 1960 && r.IntN(2) == 0:
		if male {
			return maleOld[r.IntN(len(maleOld))]
		}
		return femaleOld[r.IntN(len(femaleOld))]
	case birthYear >= 2005 && r.IntN(2) == 0:
		if male {
			return maleYoung[r.IntN(len(maleYoung))]
		}
		return femaleYoung[r.IntN(len(femaleYoung))]
	}
	pool := femaleGiven
	if male {
		pool = maleGiven
	}
	var b strings.Builder
	b.WriteRune(pool[r.IntN(len(pool))])
	if r.IntN(10) < 7 {
		b.WriteRune(pool[r.IntN(len(pool))])
	}
	return b.String()
}
