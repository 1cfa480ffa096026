//! TEMPORARY stub until the i18n branch lands (replaced wholesale by the merge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
}
impl Lang {
    pub fn from_primary(primary: &str) -> Self {
        if primary.eq_ignore_ascii_case("es") { Lang::Es } else { Lang::En }
    }
    pub fn negotiate(accept_language: Option<&str>) -> Option<Lang> {
        let v = accept_language?;
        if v.trim_start().starts_with("es") { Some(Lang::Es) } else if v.contains("en") { Some(Lang::En) } else { None }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }
}
pub fn text(_lang: Lang, id: &str) -> String {
    id.to_owned()
}
pub fn text_with(_lang: Lang, id: &str, _args: &[(&str, &str)]) -> String {
    id.to_owned()
}
pub fn has(_lang: Lang, _id: &str) -> bool {
    false
}
