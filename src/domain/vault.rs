//! The vault's rules: allowed languages, categories and tones with the
//! original's messages, the AI system prompts and their built-in defaults,
//! and how a stored key is shown masked.

pub const LANGUAGES: &[&str] = &["es", "en", "fr", "de", "it", "pt"];
pub const CATEGORIES: &[&str] = &[
    "BIENVENIDA",
    "INSTRUCCIONES",
    "RECORDATORIO",
    "CHECKIN_TARDIO",
    "CHECKOUT",
    "INCIDENCIA",
    "GENERAL",
];
pub const TONES: &[&str] = &["clasico", "cercano", "entusiasta", "minimalista"];
pub const DEFAULT_LANGUAGE: &str = "es";

pub const MSG_NAME_LENGTH: &str = "El nombre debe tener entre 1 y 200 caracteres.";
pub const MSG_CONTENT_EMPTY: &str = "El contenido no puede estar vacío.";
pub const MSG_LANGUAGE: &str = "Idioma no válido. Opciones: es, en, fr, de, it, pt.";
pub const MSG_CATEGORY: &str = "Categoría no válida. Opciones: BIENVENIDA, INSTRUCCIONES, RECORDATORIO, CHECKIN_TARDIO, CHECKOUT, INCIDENCIA, GENERAL.";
pub const MSG_TONE: &str = "Tono no válido. Opciones: clasico, cercano, entusiasta, minimalista.";
pub const MSG_NOT_FOUND: &str = "Plantilla no encontrada.";
pub const NAME_MAX_CHARS: usize = 200;

/// What an AI call does, as `ai_usage_log.accion` records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AiAction {
    Improve,
    Translate,
}

impl AiAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AiAction::Improve => "mejorar",
            AiAction::Translate => "traducir",
        }
    }
}

const KEEP_RULES: &str = "Conserva exactamente, sin traducirlos ni cambiarlos, todos los \
marcadores entre llaves como {NOMBRE}, {APARTAMENTO}, {HORA_LLEGADA}, {HORA_SALIDA}, {IDIOMA} o \
{PROTOCOLO_CHECKIN}. Responde solo con el mensaje final, sin comillas ni explicaciones.";

/// The prompt names an admin may override, with our built-in defaults.
pub const PROMPTS: &[(&str, &str)] = &[
    (
        "vault_mejorar",
        "Eres un asistente que redacta mensajes para huéspedes de apartamentos turísticos. \
         Mejora el mensaje que recibes en su mismo idioma: claro, correcto y con un tono \
         profesional y cálido.",
    ),
    (
        "vault_mejorar_clasico",
        "Eres un asistente que redacta mensajes para huéspedes de apartamentos turísticos. \
         Mejora el mensaje que recibes en su mismo idioma con un registro formal y cortés \
         (trato de usted).",
    ),
    (
        "vault_mejorar_cercano",
        "Eres un asistente que redacta mensajes para huéspedes de apartamentos turísticos. \
         Mejora el mensaje que recibes en su mismo idioma con un tono cercano y amable \
         (trato de tú).",
    ),
    (
        "vault_mejorar_entusiasta",
        "Eres un asistente que redacta mensajes para huéspedes de apartamentos turísticos. \
         Mejora el mensaje que recibes en su mismo idioma con un tono muy acogedor y \
         entusiasta (trato de tú).",
    ),
    (
        "vault_mejorar_minimalista",
        "Eres un asistente que redacta mensajes para huéspedes de apartamentos turísticos. \
         Reescribe el mensaje que recibes en su mismo idioma de forma muy breve, solo con lo \
         esencial.",
    ),
    (
        "vault_traducir",
        "Eres un traductor de mensajes para huéspedes de apartamentos turísticos. Traduce el \
         mensaje que recibes al idioma de destino indicado, con naturalidad y el mismo tono.",
    ),
];

/// The built-in text of a prompt, with the rules every prompt carries.
pub fn default_prompt(name: &str) -> Option<String> {
    PROMPTS
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, text)| format!("{text} {KEEP_RULES}"))
}

/// The prompt an improve uses: the tone's own, or the general one.
pub fn improve_prompt_name(tone: Option<&str>) -> &'static str {
    match tone {
        Some("clasico") => "vault_mejorar_clasico",
        Some("cercano") => "vault_mejorar_cercano",
        Some("entusiasta") => "vault_mejorar_entusiasta",
        Some("minimalista") => "vault_mejorar_minimalista",
        _ => "vault_mejorar",
    }
}

pub const TRANSLATE_PROMPT: &str = "vault_traducir";

/// The user message of each action, as the original builds it.
pub fn user_message(action: AiAction, language: &str, content: &str) -> String {
    match action {
        AiAction::Improve => format!("Idioma: {language}\n\n{content}"),
        AiAction::Translate => format!("Idioma destino: {language}\n\n{content}"),
    }
}

/// Added to the system prompt on the one retry after a model dropped placeholders.
pub fn firmer_instruction(missing: &[&str]) -> String {
    let list: Vec<String> = missing.iter().map(|name| format!("{{{name}}}")).collect();
    format!(
        "IMPORTANTE: tu respuesta anterior perdió estos marcadores: {}. Deben aparecer \
         exactamente igual, con sus llaves, en el mensaje final.",
        list.join(", ")
    )
}

/// A stored key as the config page shows it: first and last four characters
/// of a key longer than eight, `****` otherwise.
pub fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() > 8 {
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
    } else {
        "****".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_masked_as_the_original_masks_them() {
        assert_eq!(mask_key("sk-1234567890abcdef"), "sk-1***********cdef");
        assert_eq!(mask_key("12345678"), "****");
        assert_eq!(mask_key(""), "****");
    }

    #[test]
    fn every_prompt_has_a_default_that_keeps_placeholders() {
        for tone in [
            None,
            Some("clasico"),
            Some("cercano"),
            Some("entusiasta"),
            Some("minimalista"),
            Some("x"),
        ] {
            let name = improve_prompt_name(tone);
            let text = default_prompt(name).unwrap_or_default();
            assert!(text.contains("{NOMBRE}"), "{name}");
        }
        assert!(default_prompt(TRANSLATE_PROMPT).is_some());
        assert!(default_prompt("otro").is_none());
    }

    #[test]
    fn user_messages_follow_the_original() {
        assert_eq!(
            user_message(AiAction::Improve, "es", "Hola"),
            "Idioma: es\n\nHola"
        );
        assert_eq!(
            user_message(AiAction::Translate, "en", "Hola"),
            "Idioma destino: en\n\nHola"
        );
    }
}
